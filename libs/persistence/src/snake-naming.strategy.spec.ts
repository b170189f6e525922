import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SnakeNamingStrategy } from './snake-naming.strategy';

const naming = new SnakeNamingStrategy();

describe('SnakeNamingStrategy.columnName', () => {
  it('turns camelCase properties into snake_case columns', () => {
    assert.equal(naming.columnName('createdAt', undefined, []), 'created_at');
    assert.equal(naming.columnName('passwordHash', undefined, []), 'password_hash');
    assert.equal(naming.columnName('lastLoginFailedAt', undefined, []), 'last_login_failed_at');
  });

  it('leaves single lower-case words alone', () => {
    assert.equal(naming.columnName('id', undefined, []), 'id');
    assert.equal(naming.columnName('username', undefined, []), 'username');
  });

  it('keeps digits with the preceding word', () => {
    assert.equal(naming.columnName('address2Line', undefined, []), 'address2_line');
    assert.equal(naming.columnName('sha256Hash', undefined, []), 'sha256_hash');
  });

  it('treats an acronym as one word', () => {
    assert.equal(naming.columnName('userID', undefined, []), 'user_id');
    assert.equal(naming.columnName('photoURLPath', undefined, []), 'photo_url_path');
    assert.equal(naming.columnName('HTTPStatus', undefined, []), 'http_status');
  });

  it('uses an explicit column name unchanged', () => {
    assert.equal(naming.columnName('eventId', 'event_id', []), 'event_id');
    assert.equal(naming.columnName('eventId', 'EventIdentifier', []), 'EventIdentifier');
  });

  it('prefixes embedded columns with the embedded property names', () => {
    assert.equal(naming.columnName('streetName', undefined, ['address']), 'address_street_name');
    assert.equal(naming.columnName('city', undefined, ['homeAddress']), 'home_address_city');
    assert.equal(naming.columnName('postCode', undefined, ['contact', 'mailAddress']), 'contact_mail_address_post_code');
  });
});

describe('SnakeNamingStrategy join columns', () => {
  it('names a join column relation_referenced', () => {
    assert.equal(naming.joinColumnName('institution', 'id'), 'institution_id');
    assert.equal(naming.joinColumnName('reviewedBy', 'accountId'), 'reviewed_by_account_id');
  });

  it('names a join-table column table_column', () => {
    assert.equal(naming.joinTableColumnName('account', 'id'), 'account_id');
    assert.equal(naming.joinTableColumnName('examSession', 'id', 'sessionId'), 'exam_session_session_id');
  });

  it('keeps the default table naming of TypeORM', () => {
    assert.equal(naming.tableName('OutboxMessage', 'outbox_message'), 'outbox_message');
  });
});
