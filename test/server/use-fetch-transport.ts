// Imported before a proxy suite by its `.fetch.test.ts` twin: the suite then drives the Web-standard path.
import { useProxyTransport } from './proxy-transport.js';

useProxyTransport('fetch');
