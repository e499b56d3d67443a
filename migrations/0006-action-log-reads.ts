import { type Kysely, sql } from 'kysely';

/**
 * The action log also records reads of personal data: a payload shown to a person (`reveal`) and a
 * subject-access search by CPR number (`subject-access`). Both change nothing in the outbox.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table operator_action drop constraint operator_action_action_check`.execute(db);
  await sql`
    alter table operator_action add constraint operator_action_action_check
      check (action in ('replay', 'park', 'redact', 'reveal', 'subject-access'))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Rows of the new kinds cannot live under the old constraint: they go with it.
  await sql`delete from operator_action where action in ('reveal', 'subject-access')`.execute(db);
  await sql`alter table operator_action drop constraint operator_action_action_check`.execute(db);
  await sql`
    alter table operator_action add constraint operator_action_action_check
      check (action in ('replay', 'park', 'redact'))`.execute(db);
}
