-- Sluice schema, version 7: webhook endpoint secrets are stored encrypted (AES-GCM under SECRETS_KEY, see
-- dev.sluice.secret.SecretsKey), so a dump of the database cannot forge Sluice-Signature.
-- Rows written before this version still hold their secret in clear in `secret`; the service encrypts them into
-- `secret_ciphertext` and clears `secret` at start-up (dev.sluice.notify.WebhookSecrets), because the key is
-- configuration the migration cannot see. A later version drops `secret` once every installation has run this one.
alter table webhook_endpoint add column secret_ciphertext text;
alter table webhook_endpoint alter column secret drop not null;
alter table webhook_endpoint add constraint webhook_endpoint_secret_present
    check (secret is not null or secret_ciphertext is not null);
