// Runs after checklist.spec.js, whose first test sets up a fresh database in the browser (files run in name order).
// The cyber BCP in the browser: a clinic registers a contact and an offline backup, fills the BCP 確認表
// (a row without its 確認日 refused first, nothing lost), writes its 代替手順, downloads the BCP as PDF and
// Word, opens the incident card, then opens an incident, records an action with an evidence file (its
// SHA-256 shown), enters the facts and closes it.
const { test, expect } = require('@playwright/test');
const { execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const { firstSignIn, createOrgByCli } = require('./helpers');

const jst = new Date(Date.now() + 9 * 3600 * 1000);
const today = jst.toISOString().slice(0, 10);

async function addRow(page, kind, fields) {
  await page.goto(`/ledgers/${kind}/new`);
  for (const [name, value] of Object.entries(fields)) {
    const input = page.locator(`[name="${name}"]`);
    if (await input.evaluate((e) => e.tagName) === 'SELECT') {
      await input.selectOption(value);
    } else {
      await input.fill(value);
    }
  }
  await page.getByRole('button', { name: '保存する' }).click();
  await expect(page).not.toHaveURL(/\/new$/);
}

test('fill the BCP 確認表, make the document and the card, run an incident', async ({ page }) => {
  createOrgByCli('clinic', 'あさひ内科', 'asahi-dr', 'Asahi#Naika#2026');
  await firstSignIn(page, 'asahi-dr', 'Asahi#Naika#2026');
  await addRow(page, 'contacts', { category: '事業者', organisation: 'ひかりシステム', person: '佐藤', phone: '03-1111-2222' });
  await addRow(page, 'backups', { system: '電子カルテ', method: '外付けHDD', offline: 'はい', storage: '院長室の金庫' });

  await page.getByRole('link', { name: 'BCP', exact: true }).click();
  await expect(page.locator('#bcp-table')).toContainText('サイバー攻撃を想定した事業継続計画(BCP)策定の確認表');
  await expect(page.locator('#contact-chart svg')).toContainText('ひかりシステム');
  // A row with its answer but no 確認日: refused beside it, what was typed kept.
  await page.locator('#bcp-1-1-1 input[value="yes"]').check();
  await page.locator('#bcp-1-1-1 input[name="note.1-1-1"]').fill('機器台帳あり');
  await page.getByRole('button', { name: '確認表を保存' }).click();
  await expect(page.locator('[data-error="1-1-1"]')).toContainText('確認日を入力してください');
  await expect(page.locator('#bcp-1-1-1 input[name="note.1-1-1"]')).toHaveValue('機器台帳あり');
  await page.locator('#bcp-1-1-1 input[name="checked_on.1-1-1"]').fill(today);
  await page.locator('#bcp-1-2-1 input[value="yes"]').check();
  await page.locator('#bcp-1-2-1 input[name="checked_on.1-2-1"]').fill(today);
  await page.locator('#bcp-1-1-2 input[value="no"]').check();
  await page.locator('#bcp-1-1-2 input[name="checked_on.1-1-2"]').fill(today);
  await page.getByRole('button', { name: '確認表を保存' }).click();
  await expect(page.locator('#bcp-saved')).toBeVisible();
  await expect(page.locator('#bcp-counts')).toContainText('はい 2 項目　いいえ 1 項目');

  await page.fill('#text-alternatives', '紙カルテと手書きの処方せんに切り替える');
  await page.getByRole('button', { name: '記述を保存' }).click();
  await expect(page.locator('#text-alternatives')).toHaveValue('紙カルテと手書きの処方せんに切り替える');

  const [pdf] = await Promise.all([page.waitForEvent('download'), page.locator('#bcp-pdf').click()]);
  const text = execFileSync('pdftotext', [await pdf.path(), '-']).toString().replace(/\s+/g, '');
  expect(text).toContain('紙カルテと手書きの処方せんに切り替える');
  expect(text).toContain('ひかりシステム');
  const [docx] = await Promise.all([page.waitForEvent('download'), page.locator('#bcp-docx').click()]);
  expect(fs.readFileSync(await docx.path()).subarray(0, 2).toString()).toBe('PK');

  await page.locator('#bcp-card').click();
  await expect(page.locator('#card-contacts')).toContainText('03-1111-2222');
  await expect(page.locator('#card-backups')).toContainText('院長室の金庫');
  await expect(page.locator('body')).toContainText('身代金を支払わない');

  // An incident.
  await page.goto('/incidents');
  await page.fill('#title', '受付PCに身代金要求の画面');
  await page.getByRole('button', { name: 'インシデントを開始する' }).click();
  await expect(page.locator('h1')).toContainText('受付PCに身代金要求の画面');
  const shot = Buffer.from('screenshot of the ransom note');
  await page.selectOption('#kind', 'action');
  await page.fill('#body', '受付PCのLANケーブルを抜いた');
  await page.setInputFiles('#file', { name: '画面.png', mimeType: 'image/png', buffer: shot });
  await page.getByRole('button', { name: '記録する' }).click();
  const timeline = page.locator('#incident-timeline');
  await expect(timeline).toContainText('受付PCのLANケーブルを抜いた');
  await expect(timeline).toContainText(crypto.createHash('sha256').update(shot).digest('hex'));
  await page.fill('#fact-attack', 'ランサムウェア');
  await page.getByRole('button', { name: '保存' }).click();
  await expect(page.locator('#incident-report')).toContainText('ランサムウェア');
  await page.fill('#summary', '事業者とともにバックアップから復旧した');
  await page.getByRole('button', { name: 'インシデントを終了する' }).click();
  await expect(page.locator('#incident-state')).toContainText('終了');
  await expect(page.locator('#incident-summary')).toContainText('バックアップから復旧した');
  await expect(page.locator('#incident-entry')).toHaveCount(0);
});
