// Hosting several facilities in one deployment: the operator (made with `mamori operator add`) signs in,
// creates a group and two clinics in it, and lets the group's 事務長 into both; the 事務長 sees both in
// the roll-up and switches between them; a clinic's administrator cannot reach the other clinic.
const { test, expect } = require('@playwright/test');
const { execFileSync } = require('child_process');

test.describe.configure({ mode: 'serial' });

const { bin, db, firstSignIn } = require('./helpers');

async function createOrg(page, { kind, name, group, admin, password }) {
  await page.selectOption('#kind', kind);
  await page.fill('#name', name);
  await page.selectOption('#group', group ? { label: group } : { value: '' });
  await page.fill('#admin_login', admin);
  await page.fill('#admin_name', `${name} 管理者`);
  await page.fill('#password', password);
  await page.getByRole('button', { name: '作成' }).click();
  await expect(page.getByRole('status')).toContainText(`「${name}」を作成しました`);
}

const orgs = {};

test('the operator creates a group and two clinics, and lets the group clerk into both', async ({ page }) => {
  execFileSync(bin, ['operator', 'add', '--db', db, '--login', 'ops', '--name', '運用 太郎', '--password-stdin'],
    { input: 'Unyou#Kanri#2025\n' });
  // Users' sign-in is no way in for the operator, and the operator's pages need their own.
  await page.goto('/operator');
  await expect(page).toHaveURL(/\/operator\/login$/);
  await page.fill('#login', 'ops');
  await page.fill('#password', 'Unyou#Kanri#2025');
  await page.getByRole('button', { name: 'ログイン' }).click();
  await expect(page.getByRole('heading', { name: '組織の一覧' })).toBeVisible();

  await createOrg(page, { kind: 'group', name: '医療法人 あおば会', admin: 'aoba-jimu', password: 'Kawa#Mori#2025' });
  await createOrg(page, { kind: 'clinic', name: 'あおば内科', group: '医療法人 あおば会', admin: 'aoba-dr', password: 'Sora#Umi#2025' });
  await createOrg(page, { kind: 'clinic', name: 'ひまわり医院', group: '医療法人 あおば会', admin: 'himawari-dr', password: 'Hana#Tane#2025' });
  // A weak password is refused with the reason, and nothing is created.
  await page.selectOption('#kind', 'clinic');
  await page.fill('#name', '弱いパスワード医院');
  await page.fill('#admin_login', 'weak');
  await page.fill('#password', 'password');
  await page.getByRole('button', { name: '作成' }).click();
  await expect(page.getByRole('alert')).toContainText('管理者のパスワード');
  await expect(page.locator('table.grid')).not.toContainText('弱いパスワード医院');

  for (const name of ['あおば内科', 'ひまわり医院']) {
    const row = page.locator('table.grid tr', { hasText: name });
    await expect(row).toContainText('医療法人 あおば会');
    orgs[name] = (await row.locator('td').first().textContent()).trim();
    await page.selectOption('#member_org', orgs[name]);
    await page.fill('#member_login', 'aoba-jimu');
    await page.selectOption('#member_role', 'viewer');
    await page.getByRole('button', { name: '加える' }).click();
    await expect(page.getByRole('status')).toContainText(`aoba-jimu を組織 ${orgs[name]} の閲覧者にしました`);
  }
});

test('the group clerk sees both clinics in the roll-up and switches between them', async ({ page }) => {
  await firstSignIn(page, 'aoba-jimu', 'Kawa#Mori#2025');
  await page.goto('/dashboard');
  await expect(page).toHaveURL(/\/group$/);
  await expect(page.getByRole('heading', { name: '医療法人 あおば会の施設' })).toBeVisible();
  const rows = page.locator('table.rollup tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText('あおば内科');
  await expect(rows.nth(1)).toContainText('ひまわり医院');

  // 開く: the session now works in that clinic, with the clerk's role there.
  await rows.nth(0).getByRole('button', { name: '開く' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.locator('select[name="org"] option:checked')).toHaveText('あおば内科');
  // The switcher in the navigation: to the other clinic.
  await page.selectOption('select[name="org"]', { label: 'ひまわり医院' });
  await page.getByRole('button', { name: '切り替え' }).click();
  await expect(page.locator('select[name="org"] option:checked')).toHaveText('ひまわり医院');
  await expect(page.locator('main')).toContainText('ひまわり医院');
  await expect(page.locator('main')).not.toContainText('あおば内科');
  // And back to the group's roll-up.
  await page.selectOption('select[name="org"]', { label: '医療法人 あおば会' });
  await page.getByRole('button', { name: '切り替え' }).click();
  await expect(page).toHaveURL(/\/group$/);
});

test('a clinic administrator cannot open the other clinic', async ({ page }) => {
  await firstSignIn(page, 'aoba-dr', 'Sora#Umi#2025');
  await page.goto('/dashboard');
  await expect(page.locator('.who')).toBeVisible();
  await expect(page.locator('select[name="org"]')).toHaveCount(0);
  // Asking to work in ひまわり医院 (by its number) is "not found"; the roll-up is not theirs either.
  const csrf = await page.locator('form[action="/logout"] input[name="csrf"]').inputValue();
  const r = await page.request.post('/orgs/switch', { form: { csrf, org: orgs['ひまわり医院'] } });
  expect(r.status()).toBe(404);
  const group = await page.request.get('/group');
  expect(group.status()).toBe(404);
  await page.goto('/ledgers/accounts');
  await expect(page.locator('body')).not.toContainText('ひまわり医院');
});
