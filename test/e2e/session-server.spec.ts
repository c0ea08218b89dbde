import { sessionServerCases } from './session-server-cases.js';

sessionServerCases('memory');
