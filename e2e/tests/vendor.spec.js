// The vendor's side in one deployment: a clinic and a pharmacy invite their vendor from the 事業者・契約
// row; the vendor takes both codes, answers its product's 事業者確認用 once, keeps the pharmacy's one
// difference, and publishes to both. Each facility sees its own form, its reconciliation changes and its
// inspection pack carries the form; a question and its answer go both ways; the vendor cannot open a
// facility's ledger.
const { test, expect } = require('@playwright/test');
const { execFileSync } = require('child_process');
const { firstSignIn, createOrgByCli: createOrg } = require('./helpers');

test.describe.configure({ mode: 'serial' });

const jst = new Date(Date.now() + 9 * 3600 * 1000);
const today = jst.toISOString().slice(0, 10);
// The end of the fiscal year (April–March) that contains today.
const fyEnd = `${jst.getUTCMonth() >= 3 ? jst.getUTCFullYear() + 1 : jst.getUTCFullYear()}-03-31`;

// The facility's 事業者・契約 ledger gets the vendor, then an invitation code for it.
async function inviteVendor(page) {
  await page.goto('/ledgers/vendors');
  const csv = '事業者名,提供システム,リモートメンテナンス契約\r\nひかりシステム,電子カルテX,有\r\n';
  await page.setInputFiles('#ledger-file', { name: '事業者.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: '確認する' }).click();
  await page.getByRole('button', { name: '取り込む' }).click();
  await page.getByRole('link', { name: '事業者確認用・照合' }).click();
  await expect(page.locator('#contradictions')).toContainText('ひかりシステムの事業者確認用を受け取った記録がありません');
  const row = page.locator('#link-rows tr', { hasText: 'ひかりシステム' });
  await expect(row).toContainText('未連携');
  await row.getByLabel('ひかりシステムの回答期限').fill(fyEnd);
  await row.getByRole('button', { name: '招待コードを発行する' }).click();
  const code = (await page.locator('#invitation-code .code').textContent()).trim();
  expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  await expect(page.locator('#link-rows')).toContainText('招待中（有効期限');
  return code;
}

const shared = {};

test('a clinic and a pharmacy invite their vendor', async ({ browser }) => {
  createOrg('clinic', 'さくら診療所', 'sakura-dr', 'Sakura#Hana#2026');
  createOrg('pharmacy', 'もみじ薬局', 'momiji-ph', 'Momiji#Aki#2026');
  createOrg('vendor', 'ひかりシステム', 'hikari-se', 'Hikari#Sys#2026');
  for (const [login, password, key] of [['sakura-dr', 'Sakura#Hana#2026', 'clinic'], ['momiji-ph', 'Momiji#Aki#2026', 'pharmacy']]) {
    // Each person keeps their own browser (and session) for the tests that follow.
    const page = await (await browser.newContext()).newPage();
    await firstSignIn(page, login, password);
    shared[key] = await inviteVendor(page);
    shared[`${key}Page`] = page;
    if (key === 'clinic') {
      shared.ledgerRow = await page.locator('#contradictions a').first().getAttribute('href');
      expect(shared.ledgerRow).toMatch(/^\/ledgers\/vendors\/\d+$/);
    }
  }
});

test('the vendor accepts, answers its product once, keeps one difference and publishes to both', async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  shared.vendorPage = page;
  await firstSignIn(page, 'hikari-se', 'Hikari#Sys#2026');
  await page.getByRole('link', { name: '製品' }).click();
  await page.fill('#name', '電子カルテX');
  await page.fill('#version', '3.2');
  await page.fill('#kind', '電子カルテ');
  await page.fill('#remote_maintenance', 'VPN');
  await page.getByRole('button', { name: '追加' }).click();

  await page.getByRole('link', { name: '顧客施設' }).click();
  // A mistyped code is refused and stays in the box.
  await page.fill('#code', 'AAAA-BBBB-CCCC');
  await page.getByRole('button', { name: '連携する' }).click();
  await expect(page.locator('#accept-error')).toContainText('招待コードが正しくないか');
  await expect(page.locator('#code')).toHaveValue('AAAA-BBBB-CCCC');
  for (const code of [shared.clinic, shared.pharmacy]) {
    await page.fill('#code', code.toLowerCase());
    await page.locator('#accept-form').getByLabel('電子カルテX').check();
    await page.getByRole('button', { name: '連携する' }).click();
    await expect(page.locator('#accepted')).toContainText('施設と連携しました');
  }
  await expect(page.locator('#client-counts [data-state="linked"]')).toContainText('2');

  // The vendor is no member of the clinic: its ledger is not there for it.
  const ledger = await page.request.get(shared.ledgerRow);
  expect(ledger.status()).toBe(404);
  expect(await ledger.text()).not.toContain('ひかりシステム,電子カルテX');

  // Answer once: a いいえ without 目標日 is shown beside its field and nothing is lost.
  await page.getByRole('link', { name: '回答・公開・MDS/SDS' }).click();
  await page.getByRole('link', { name: '回答する' }).click();
  const answers = page.locator('select[name$="|1|answer"]');
  const dates = page.locator('input[name$="|1|checked_on"]');
  await answers.nth(0).selectOption('no');
  await dates.nth(0).fill(today);
  await page.getByRole('button', { name: '保存する' }).click();
  await expect(page.locator('#form-errors')).toBeVisible();
  await expect(answers.nth(0)).toHaveValue('no');
  const rows = await answers.count();
  for (let i = 0; i < rows; i++) {
    await answers.nth(i).selectOption('yes');
    await dates.nth(i).fill(today);
  }
  await page.getByRole('button', { name: '保存する' }).click();
  await expect(page.locator('#product-form-state')).toContainText(`保存済み（回答 ${rows} 件）`);

  // The pharmacy has no remote maintenance: one row differs for it.
  await page.getByLabel('もみじ薬局の違いを入力').click();
  await page.locator('select[name$="|1|answer"]').nth(0).selectOption('no');
  await page.locator('input[name$="|1|checked_on"]').nth(0).fill(today);
  await page.locator('input[name$="|1|target_date"]').nth(0).fill(fyEnd);
  await page.locator('input[name$="|1|note"]').nth(0).fill('リモート保守なし');
  await page.getByRole('button', { name: '保存する' }).click();
  await expect(page.locator('#product-client-list tr', { hasText: 'もみじ薬局' })).toContainText('あり');

  await page.getByLabel('さくら診療所に公開').check();
  await page.getByLabel('もみじ薬局に公開').check();
  await page.getByRole('button', { name: '選んだ施設に公開する' }).click();
  await expect(page.locator('#product-message')).toContainText('2 施設に公開しました');
  await page.getByRole('link', { name: '顧客施設へ戻る' }).click();
  await expect(page.locator('#client-counts [data-state="published"]')).toContainText('2');
});

test('each facility receives its form; a question and its answer go both ways; the pack carries it', async () => {
  const { clinicPage: clinic, pharmacyPage: pharmacy, vendorPage: vendor } = shared;
  // The clinic: the form is there with who published it; the reconciliation no longer misses it.
  await clinic.goto('/vendor-forms');
  const received = clinic.locator('#received-forms tr', { hasText: '電子カルテX' });
  await expect(received).toContainText('ひかりシステム');
  await expect(received).toContainText('hikari-se');
  await expect(received).toContainText('受領（未確認）');
  await expect(clinic.locator('body')).not.toContainText('ひかりシステムの事業者確認用を受け取った記録がありません');
  await expect(clinic.locator('#link-rows')).toContainText('連携中：ひかりシステム（電子カルテX）');

  // The inspection pack carries the published form.
  const [download] = await Promise.all([
    clinic.waitForEvent('download'),
    clinic.getByRole('link', { name: '立入検査用資料（PDF）' }).click(),
  ]);
  const text = execFileSync('pdftotext', [await download.path(), '-']).toString().replace(/\s+/g, '');
  expect(text).toContain('ひかりシステム（電子カルテX）');

  // The pharmacy's copy carries its difference; the clinic's does not.
  await pharmacy.goto('/vendor-forms');
  await pharmacy.locator('#received-forms').getByRole('link', { name: '電子カルテX' }).click();
  await expect(pharmacy.locator('#received-answers')).toContainText('リモート保守なし');
  await received.getByRole('link', { name: '電子カルテX' }).click();
  await expect(clinic.locator('#received-answers')).not.toContainText('リモート保守なし');

  // A question needs words; then it goes to the vendor.
  await clinic.getByRole('button', { name: '質問する（事業者へ送る）' }).click();
  await expect(clinic.locator('#comment-error')).toContainText('質問の内容を入力してください');
  await clinic.fill('#body', '保守用VPNの接続元は制限していますか');
  await clinic.getByRole('button', { name: '質問する（事業者へ送る）' }).click();
  await expect(clinic.locator('#received-status')).toContainText('質問中');

  await vendor.goto('/clients');
  await expect(vendor.locator('#client-counts [data-state="questioned"]')).toContainText('1');
  await vendor.locator('#client-lines tr', { hasText: 'さくら診療所' }).getByRole('link', { name: '質問あり' }).click();
  await expect(vendor.locator('#thread')).toContainText('保守用VPNの接続元は制限していますか');
  await vendor.fill('#body', '保守拠点のIPアドレスだけを許可しています');
  await vendor.getByRole('button', { name: '返信する' }).click();
  await expect(vendor.locator('#thread')).toContainText('保守拠点のIPアドレスだけを許可しています');

  await clinic.reload();
  await expect(clinic.locator('#thread')).toContainText('保守拠点のIPアドレスだけを許可しています');
  await clinic.getByRole('button', { name: '受理する' }).click();
  await expect(clinic.locator('#received-status')).toContainText('受理済み');
  await vendor.goto('/clients');
  await expect(vendor.locator('#client-counts [data-state="accepted"]')).toContainText('1');

  // The vendor's list exports in CP932 for Excel.
  const [csv] = await Promise.all([
    vendor.waitForEvent('download'),
    vendor.getByRole('link', { name: 'CSV（Shift_JIS）' }).click(),
  ]);
  const bytes = require('fs').readFileSync(await csv.path());
  const decoded = new TextDecoder('shift_jis').decode(bytes);
  expect(decoded).toContain('さくら診療所,電子カルテX,受理済み');
});
