// The year's duties in the browser: a clinic imports its user ledger (no 見直し日), sees the reminder on
// the dashboard and the お知らせ page with where to act, chooses to receive it by e-mail, looks at the
// management report with its charts and records that the director received it; the inspection pack
// carries the record.
const { test, expect } = require('@playwright/test');
const { execFileSync } = require('child_process');
const crypto = require('crypto');
const path = require('path');

const bin = process.env.MAMORI_BIN || path.join(__dirname, '..', '..', 'target', 'debug', 'mamori');
const db = path.join(process.env.MAMORI_E2E_DIR, 'e2e.db');
const jst = new Date(Date.now() + 9 * 3600 * 1000);
const today = jst.toISOString().slice(0, 10);

function base32Decode(str) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of str) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

function totp(secret) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const h = crypto.createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const o = h[h.length - 1] & 0x0f;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

test('a reminder, the e-mail setting, the management report and its sign-off in the pack', async ({ page }) => {
  execFileSync(bin, ['org', 'create', '--db', db, '--kind', 'clinic', '--name', 'こもれび診療所',
    '--admin', 'komorebi-dr', '--password-stdin'], { input: 'Komorebi#Mori#2026\n' });
  await page.goto('/login');
  await page.fill('#login', 'komorebi-dr');
  await page.fill('#password', 'Komorebi#Mori#2026');
  await page.getByRole('button', { name: 'ログイン' }).click();
  const secret = (await page.locator('#totp-secret').textContent()).trim();
  await page.fill('#code', totp(secret));
  await page.getByRole('button', { name: '確認して有効にする' }).click();
  await expect(page.getByText('設定が完了しました')).toBeVisible();

  // A user ledger without 見直し日: the reminder names it, on the dashboard and its page.
  await page.goto('/ledgers/accounts');
  const csv = '所属部署,姓,名,ユーザID,権限,状態\r\n診療部,木漏,日和,dr-komorebi,一般,在職\r\n看護部,光,葉,ns-hikari,一般,在職\r\n';
  await page.setInputFiles('#ledger-file', { name: '利用者.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: '確認する' }).click();
  await page.getByRole('button', { name: '取り込む' }).click();
  await page.getByRole('link', { name: 'ダッシュボード' }).click();
  await expect(page.locator('#dashboard-reminders')).toContainText('利用者台帳の見直し');
  await page.getByRole('link', { name: 'お知らせ', exact: true }).first().click();
  const accounts = page.locator('#reminders-accounts_review');
  await expect(accounts).toContainText('見直し日の記録がありません');
  await expect(accounts.getByRole('link', { name: '開く' })).toHaveAttribute('href', '/ledgers/accounts');

  // Receive it by e-mail at 7時, without the backup reminders (the page's own checks on the address are
  // tested in mamori-web's tests: the browser refuses a malformed one before sending).
  await page.getByRole('link', { name: 'メールで受け取る' }).click();
  await page.fill('#email', 'komorebi@example.jp');
  await page.selectOption('#hour', '7');
  await page.getByLabel('バックアップ', { exact: true }).uncheck();
  await page.getByRole('button', { name: '保存' }).click();
  await expect(page.locator('#mail-saved')).toBeVisible();
  await expect(page.getByLabel('バックアップ', { exact: true })).not.toBeChecked();

  // The management report, its charts drawn on the server, and the director's sign-off.
  await page.getByRole('link', { name: '経営層への報告' }).click();
  await expect(page.locator('#chart-sections svg')).toBeVisible();
  await expect(page.locator('#chart-year svg')).toContainText('4月');
  await page.fill('#received_by', '院長 木漏 日和');
  await page.getByRole('button', { name: '記録する' }).click();
  await expect(page.locator('#signoff-error')).toContainText('報告を受けた日を入力してください');
  await expect(page.locator('#received_by')).toHaveValue('院長 木漏 日和');
  await page.fill('#received_on', today);
  await page.fill('#decision', '承認。利用者台帳の見直しを今月中に行うこと');
  await page.getByRole('button', { name: '記録する' }).click();
  await expect(page.locator('#signoff-list')).toContainText('院長 木漏 日和');

  const [pack] = await Promise.all([
    page.waitForEvent('download'),
    page.evaluate(() => { const a = document.createElement('a'); a.href = '/pack.pdf'; a.download = ''; document.body.appendChild(a); a.click(); }),
  ]);
  const text = execFileSync('pdftotext', [await pack.path(), '-']).toString().replace(/\s+/g, '');
  expect(text).toContain('経営層への報告を受けた記録');
  expect(text).toContain('承認。利用者台帳の見直しを今月中に行うこと');
});
