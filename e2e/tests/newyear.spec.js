// A new fiscal year in the browser: a clinic that answered the 令和6年度版 is told the year waits, opens
// 新年度の準備, sees the 令和7年度版's new and changed items with last year's answers as proposals, starts
// the year, finds the proposals and the new items on the form, answers a new item いいえ with a 目標日
// soon, sees the reminder, and records that the director received the report.
const { test, expect } = require('@playwright/test');
const { firstSignIn, createOrgByCli } = require('./helpers');

const iso = (d) => d.toISOString().slice(0, 10);
const jst = new Date(Date.now() + 9 * 3600 * 1000);
const today = iso(jst);
// 20 days ahead, but inside this fiscal year (April–March).
const fyEnd = new Date(Date.UTC(jst.getUTCMonth() < 3 ? jst.getUTCFullYear() : jst.getUTCFullYear() + 1, 2, 31));
const soon = iso(new Date(Math.min(jst.getTime() + 20 * 86400 * 1000, fyEnd.getTime())));

async function answer(page, rowId, { choice, checked, target, note }) {
  const form = page.locator(`#${rowId} form[data-round="1"]`);
  await form.locator(`input[name="answer"][value="${choice}"]`).check();
  await form.locator('input[name="checked_on"]').fill(checked);
  await form.locator('input[name="target_date"]').fill(target || '');
  await form.locator('input[name="note"]').fill(note || '');
  await form.getByRole('button', { name: '保存' }).click();
  await expect(page.locator(`#${rowId} form[data-round="1"] input[name="checked_on"]`)).toHaveValue(checked);
}

test('start a new fiscal year with last year\'s answers as proposals, answer, a reminder, a sign-off', async ({ page }) => {
  createOrgByCli('clinic', 'はるかぜ医院', 'harukaze-dr', 'Harukaze#Kaze#2026');
  await firstSignIn(page, 'harukaze-dr', 'Harukaze#Kaze#2026');

  // Last year's answers, on the 令和6年度版.
  await page.goto('/checklists/r6/facility');
  await answer(page, 'row-r6-facility-gate-general', { choice: 'yes', checked: '2024-06-01' });
  await answer(page, 'row-r6-facility-2-7-server', { choice: 'no', checked: '2024-06-01', target: '2025-03-31', note: '更新手順を調整中' });

  // The dashboard says the year waits.
  await page.getByRole('link', { name: 'ダッシュボード' }).click();
  await expect(page.locator('#new-year-notice')).toBeVisible();
  await page.locator('#new-year-notice').getByRole('link', { name: '新年度の準備へ' }).click();

  // The built-in 令和7年度版, carrying the 令和6年度版's answers: new items, changed words, proposals.
  await expect(page.locator('#edition')).toHaveValue('r7');
  await expect(page.locator('#year-choice input[name="from"][value="r6/facility"]')).toBeChecked();
  const table = page.locator('#year-comparison');
  await expect(table.locator('tr', { hasText: 'パスワードの使い回しを禁止している。' })).toContainText('新しい項目');
  await expect(table.locator('tr', { hasText: '二要素認証' })).toContainText('新しい項目');
  await expect(table.locator('tr[data-change="文言の変更"]').first()).toContainText('変更前：');
  await expect(table).toContainText('令和6年度版 2(7)：サーバ：いいえ（令和6年6月1日）');
  await page.locator('#year-start').getByRole('button').click();

  // This year's form: the proposal and the new items; an answer saved from it.
  await expect(page).toHaveURL(/\/checklists\/r7\/facility/);
  await expect(page.locator('#row-r7-facility-2-6-general [data-proposal]')).toContainText('令和6年度版 2(7)：サーバ：いいえ');
  await expect(page.locator('#row-r7-facility-2-11-general [data-change="new-item"]')).toBeVisible();
  await answer(page, 'row-r7-facility-2-11-general', { choice: 'no', checked: today, target: soon, note: '導入を検討中' });

  // The reminder: the 目標日 is near.
  await page.getByRole('link', { name: 'ダッシュボード' }).click();
  await expect(page.locator('#new-year-notice')).toHaveCount(0);
  await expect(page.locator('#dashboard-reminders')).toContainText('2(11)');
  await page.getByRole('link', { name: 'お知らせ', exact: true }).first().click();
  await expect(page.locator('#reminders-target_soon')).toContainText('二要素認証');

  // The year's page lists it as started; the report is signed off.
  await page.goto('/years');
  await expect(page.locator('#year-started')).toContainText('harukaze-dr');
  await page.goto('/report');
  await expect(page.locator('#chart-sections svg')).toBeVisible();
  await page.fill('#received_by', '院長 春風 一郎');
  await page.fill('#received_on', today);
  await page.fill('#decision', '二要素認証の導入を承認');
  await page.getByRole('button', { name: '記録する' }).click();
  await expect(page.locator('#signoff-list')).toContainText('二要素認証の導入を承認');
});
