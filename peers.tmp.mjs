import { chromium } from '@playwright/test';
import { measurePeers } from './bench/peers/measure.mjs';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu','--disable-background-networking'] });
try { console.log(JSON.stringify(await measurePeers(browser, { runs: 5, calls: 20000 }), null, 1)); } catch (e) { console.log('ERR', e.stack?.slice(0, 1500)); }
await browser.close();
