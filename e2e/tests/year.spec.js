// The year's duties in the browser: a clinic imports its user ledger (no 見直し日), sees the reminder on
// the dashboard and the お知らせ page with where to act, chooses to receive it by e-mail, looks at the
// management report with its charts and records that the director received it; the inspection pack
// carries the record.
const { test, expect } = require('@playwright/test');
const { execFileSync } = require('child_process');
const { firstSignIn, createOrgByCli } = require('./helpers');

const jst = new Date(Date.now() + 9 * 3600 * 1000);
const today = jst.toISOString().slice(0, 10);

test('a reminder, the e-mail setting, the management report and its sign-off in the pack', async ({ page }) => {
  createOrgByCli('clinic', 'こもれび診療所', 'komorebi-dr', 'Komorebi#Mori#2026');
  await firstSignIn(page, 'komorebi-dr', 'Komorebi#Mori#2026');

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
