// ./api-proxy-resource.test.ts again, with the session server's forwarding on fetch and Web streams (see ./proxy-transport.ts).
import './use-fetch-transport.js';
import './api-proxy-resource.test.js';
