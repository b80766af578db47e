-- Swerve's outcome counts: one row per (flag, variant, context, period, metric), counts
-- added by the Worker's batched upserts. Apply with:
--   npx wrangler d1 migrations apply SWERVE_STATS --local    (make demo does this)
--   npx wrangler d1 migrations apply SWERVE_STATS --remote
-- period: start of the UTC hour, epoch seconds. context: '' except for adaptive flags.
-- metric: exposure, conversion:<goal>, request, error, page, miss:<op>, skip:<op>
-- (docs/outcomes.md says what each counts).
CREATE TABLE IF NOT EXISTS swerve_stats (
  flag TEXT NOT NULL,
  variant TEXT NOT NULL,
  context TEXT NOT NULL DEFAULT '',
  period INTEGER NOT NULL,
  metric TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (flag, variant, context, period, metric)
) WITHOUT ROWID;
