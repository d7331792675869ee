// The operator guide's screenshots (docs/screenshots.sh): the guide's walk on a fresh database of its own.
const { defineConfig } = require('@playwright/test');
const fs = require('fs');
const os = require('os');
const path = require('path');

const port = process.env.MAMORI_GUIDE_PORT || '8124';
// Set once in the main process; the workers inherit it (and so know the server's database).
const dir = process.env.MAMORI_E2E_DIR ||
  (process.env.MAMORI_E2E_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'mamori-guide-')));
const bin = process.env.MAMORI_BIN || path.join(__dirname, '..', 'target', 'debug', 'mamori');

module.exports = defineConfig({
  testDir: './guide',
  timeout: 60_000,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    acceptDownloads: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    },
  },
  webServer: {
    command: `"${bin}" serve --db "${path.join(dir, 'e2e.db')}" --listen 127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
  },
});
