// Headless Chromium drives Neo4j Browser: log in, apply cypher/browser/graphmem.grass with
// Browser's :style command, run a saved query, show its result frame full screen, fit the
// graph to it, and screenshot it (docs/browser-graph.png; the memory it shows: docs/browser_demo.py).
// Needs: npm install puppeteer-core, a chromium (Debian: apt-get install chromium). Usage:
//   NODE_PATH=<dir>/node_modules node browser-screenshot.js URL PASSWORD GRASS QUERY_FILE \
//     USER_ID OUT.png
const puppeteer = require('puppeteer-core');
const fs = require('fs');
const [,, url, password, grassPath, queryPath, userId, out] = process.argv;
const sleep = (ms) => new Promise(r => setTimeout(r, ms));

async function run(page, text) {
  const editor = await page.$('#monaco-main-editor, .monaco-editor');
  await editor.click();
  await page.keyboard.type(text);
  await sleep(300);
  await page.keyboard.press('Escape');
  await page.keyboard.down('Control');
  await page.keyboard.press('Enter');
  await page.keyboard.up('Control');
  await sleep(2500);
}

(async () => {
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run',
           '--user-data-dir=' + require('os').tmpdir() + '/graphmem-shot-' + Date.now()],
    defaultViewport: { width: 1400, height: 900, deviceScaleFactor: 1.5 },
  });
  const page = await browser.newPage();
  await page.goto(url, { waitUntil: 'networkidle2', timeout: 60000 });
  await page.waitForSelector('input[data-testid=username]', { timeout: 30000 });
  await page.type('input[data-testid=username]', 'neo4j');
  await page.type('input[data-testid=password]', password);
  await page.keyboard.press('Enter');
  await sleep(4000);

  // Load the style with Browser's own `:style <GraSS>` command (what dropping the file on
  // the Favorites drawer also does); comments stripped, one line.
  const grass = fs.readFileSync(grassPath, 'utf8').replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\s+/g, ' ').trim();
  const editor = await page.$('.monaco-editor');
  await editor.click();
  await page.evaluate((text) => document.execCommand('insertText', false, text), ':style ' + grass);
  await sleep(300);
  await page.keyboard.press('Escape');
  await page.keyboard.down('Control');
  await page.keyboard.press('Enter');
  await page.keyboard.up('Control');
  await sleep(2500);

  await run(page, ':clear');
  await run(page, `:param user_id => '${userId}'`);
  const query = fs.readFileSync(queryPath, 'utf8').split('\n')
    .filter(l => !l.trim().startsWith('//')).join(' ').replace(/\s+/g, ' ').trim();
  await run(page, query);
  await sleep(4000);
  // The result frame full screen (the graph and Browser's legend of labels and types),
  // fitted to the frame, so captions are legible.
  const full = await page.$('[title="Fullscreen"], [aria-label="Fullscreen"]');
  if (full) { await full.click(); await sleep(2500); }
  for (const step of ['zoom-to-fit']) {
    const button = await page.$(`[aria-label="${step}"]`);
    if (button) { await button.click(); await sleep(1500); }
  }
  await page.screenshot({ path: out });
  await browser.close();
})().catch(e => { console.error(e); process.exit(1); });
