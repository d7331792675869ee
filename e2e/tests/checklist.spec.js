// A clinic's first day: set up, sign in, answer three items (one いいえ with 目標日), watch the dashboard
// counts change, download the xlsx and read its cells.
const { test, expect } = require('@playwright/test');
const ExcelJS = require('exceljs');

// Dates as the server sees them: Japan time, fiscal year April–March.
const jst = new Date(Date.now() + 9 * 3600 * 1000);
const today = jst.toISOString().slice(0, 10);
const [y, m] = [jst.getUTCFullYear(), jst.getUTCMonth() + 1];
const fyStart = m >= 4 ? y : y - 1;
const fyEnd = `${fyStart + 1}-03-31`;
const reiwa = (iso) => {
  const [yy, mm, dd] = iso.split('-').map(Number);
  return `令和${yy - 2018}年${mm}月${dd}日`;
};

async function counts(page) {
  const get = async (k) => Number(await page.locator(`[data-count="${k}"]`).textContent());
  return { yes: await get('yes'), no: await get('no'), unanswered: await get('unanswered') };
}

function row(page, id) {
  return page.locator(`#${id}`);
}

async function answer(page, rowId, { choice, checked, target, note }) {
  const form = row(page, rowId).locator('form[data-round="1"]');
  await form.locator(`input[name="answer"][value="${choice}"]`).check();
  await form.locator('input[name="checked_on"]').fill(checked);
  await form.locator('input[name="target_date"]').fill(target || '');
  await form.locator('input[name="note"]').fill(note || '');
  await form.getByRole('button', { name: '保存' }).click();
}

test('set up a clinic, answer, see counts, download the xlsx', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole('heading', { name: '初期設定' })).toBeVisible();

  // A mistake first: everything typed stays, the message stands beside the field.
  await page.selectOption('#org_kind', 'clinic');
  await page.fill('#org_name', 'みどりクリニック');
  await page.fill('#security_officer', '山田 太郎');
  await page.check('input[name="has_vendor_contract"][value="yes"]');
  await page.fill('#admin_name', '山田 太郎');
  await page.fill('#admin_login', 'yamada');
  await page.fill('#password', 'short');
  await page.fill('#password_confirm', 'short');
  await page.getByRole('button', { name: '登録して始める' }).click();
  await expect(page.getByText('パスワードは8文字以上にしてください')).toBeVisible();
  await expect(page.locator('#org_name')).toHaveValue('みどりクリニック');

  await page.fill('#password', 'Midori#2025');
  await page.fill('#password_confirm', 'Midori#2025');
  await page.getByRole('button', { name: '登録して始める' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);

  // Sign out and in again.
  await page.getByRole('button', { name: 'ログアウト' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.fill('#login', 'yamada');
  await page.fill('#password', 'wrong-password');
  await page.getByRole('button', { name: 'ログイン' }).click();
  await expect(page.getByText('ログインIDまたはパスワードが違います')).toBeVisible();
  await page.fill('#password', 'Midori#2025');
  await page.getByRole('button', { name: 'ログイン' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);

  await expect(page.locator('#two-factor-missing')).toBeVisible();
  const before = await counts(page);
  expect(before.yes).toBe(0);
  expect(before.no).toBe(0);

  await page.getByRole('link', { name: 'チェックリストに回答する' }).click();
  const edition = page.url().split('/checklists/')[1].split('/')[0];
  const rid = (key, target = 'general') => `row-${edition}-facility-${key.replace('.', '-')}-${target}`;

  await answer(page, rid('1.1'), { choice: 'yes', checked: today });
  await expect(row(page, rid('1.1')).locator('.saved')).toContainText('はい');
  await answer(page, rid('2.1'), { choice: 'yes', checked: today });
  await expect(row(page, rid('2.1')).locator('.saved')).toContainText('はい');

  // いいえ without 目標日 is refused beside the field; the note typed stays.
  const patches = edition === 'r7' ? '2.6' : '2.7';
  const patchTarget = edition === 'r7' ? 'general' : 'network';
  await answer(page, rid(patches, patchTarget), { choice: 'no', checked: today, note: '更新手順を事業者と調整中' });
  await expect(row(page, rid(patches, patchTarget)).locator('.field-error')).toContainText('目標日を入力してください');
  await expect(row(page, rid(patches, patchTarget)).locator('input[name="note"]').first()).toHaveValue('更新手順を事業者と調整中');
  await answer(page, rid(patches, patchTarget), { choice: 'no', checked: today, target: fyEnd, note: '更新手順を事業者と調整中' });
  await expect(row(page, rid(patches, patchTarget)).locator('.saved')).toContainText('目標日');

  await page.getByRole('link', { name: 'ダッシュボード' }).click();
  const after = await counts(page);
  expect(after).toEqual({ yes: 2, no: 1, unanswered: before.unanswered - 3 });
  await expect(page.locator('table.open')).toContainText('セキュリティパッチ');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Excel（xlsx）をダウンロード' }).click(),
  ]);
  const file = await download.path();
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const ws = wb.getWorksheet('チェックリスト');
  const cells = [];
  ws.eachRow((r) => r.eachCell((c) => cells.push(String(c.value))));
  expect(cells).toContain('施設名：みどりクリニック');
  expect(cells).toContain(`はい\n（${reiwa(today)}）`);
  expect(cells).toContain(`いいえ\n（${reiwa(today)}）\n目標日：${reiwa(fyEnd)}`);
  expect(cells).toContain('更新手順を事業者と調整中');
  const officerRow = cells.findIndex((c) => c.startsWith('医療情報システム安全管理責任者を設置している。'));
  expect(officerRow).toBeGreaterThan(0);
  expect(ws.pageSetup.paperSize).toBe(9);
});
