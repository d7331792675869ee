// The operator guide's walk (docs/guide.md), on a fresh database: each step as a clinic's 事務長 does it,
// with a screenshot of the page. `bash docs/screenshots.sh` writes them to docs/images/; elsewhere (CI)
// they go to a temporary folder, so the walk keeps working as the pages change.
const { test, expect } = require('@playwright/test');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { totp, bin } = require('../tests/helpers');

const out = process.env.MAMORI_GUIDE_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'mamori-guide-shots-'));
const shot = (page, name) => page.screenshot({ path: path.join(out, `${name}.png`) });

test('the operator guide, step by step', async ({ page }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1280, height: 800 });

  // 1. 初期設定 (first run, in the browser).
  await page.goto('/');
  await expect(page).toHaveURL(/\/setup$/);
  await page.selectOption('#org_kind', 'clinic');
  await page.fill('#org_name', 'みどりクリニック');
  await page.fill('#security_officer', '山田 太郎');
  await page.check('input[name="has_vendor_contract"][value="yes"]');
  await page.fill('#admin_name', '山田 太郎');
  await page.fill('#admin_login', 'yamada');
  await page.fill('#password', 'Midori#Guide#2026');
  await page.fill('#password_confirm', 'Midori#Guide#2026');
  await shot(page, '01-setup');
  await page.getByRole('button', { name: '登録して始める' }).click();

  // 2. 二要素認証 (TOTP).
  await expect(page).toHaveURL(/\/account\/totp$/);
  await expect(page.locator('img.qr')).toBeVisible();
  await shot(page, '02-totp');
  const secret = (await page.locator('#totp-secret').textContent()).trim();
  await page.fill('#code', totp(secret));
  await page.getByRole('button', { name: '確認して有効にする' }).click();
  await expect(page.getByText('設定が完了しました')).toBeVisible();
  await page.getByRole('link', { name: 'ダッシュボードへ' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await shot(page, '03-dashboard');

  // 3. 台帳の取り込み (an exported user list in CP932 is read the same way; this one is UTF-8).
  await page.goto('/ledgers/accounts');
  const csv = '所属部署,姓,名,ユーザID,権限,状態,退職日\r\n診療部,山田,太郎,dr-yamada,管理者,在職,\r\n受付,佐藤,花子,uk-sato,一般,退職,2026-03-31\r\n';
  await page.setInputFiles('#ledger-file', { name: '利用者台帳.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: '確認する' }).click();
  await shot(page, '04-ledger-preview');
  await page.getByRole('button', { name: '取り込む' }).click();

  // 4. チェックリストに回答する.
  await page.goto('/checklists/r7/facility');
  await shot(page, '05-checklist');

  // 5. エージェントの登録.
  await page.goto('/agents');
  await page.fill('#label', '受付PC');
  await page.getByRole('button', { name: '発行する' }).click();
  await expect(page.locator('#enroll-token')).toBeVisible();
  await shot(page, '06-agent-token');

  // 6. バックアップと復元 (settings page; the backup itself is `mamori backup`).
  await page.goto('/settings');
  await shot(page, '07-settings-backup');

  // 7. 新しい版の取り込み, 新年度の準備.
  await page.goto('/editions');
  await shot(page, '08-editions');
  await page.goto('/years');
  await shot(page, '09-new-year');

  // 8. BCP と緊急時連絡カード.
  await page.goto('/bcp');
  await shot(page, '10-bcp');
  await page.goto('/bcp/card');
  await shot(page, '11-incident-card');

  // 9. 立入検査用資料 (the pack): its link on the dashboard.
  await page.goto('/dashboard');
  const pack = await page.request.get('/pack.pdf');
  expect(pack.ok()).toBeTruthy();
  expect((await pack.body()).subarray(0, 4).toString()).toBe('%PDF');
  const pdf = path.join(out, 'pack.pdf');
  fs.writeFileSync(pdf, await pack.body());
  // The pack's first page, as it prints (pdftoppm, when poppler-utils is there).
  const r = spawnSync('pdftoppm', ['-r', '60', '-png', '-f', '1', '-l', '1', '-singlefile', pdf, path.join(out, '12-pack')]);
  if (r.error) console.log('SKIP: pdftoppm is not installed; no image of the pack');
  fs.unlinkSync(pdf);
  expect(bin).toBeTruthy();
});
