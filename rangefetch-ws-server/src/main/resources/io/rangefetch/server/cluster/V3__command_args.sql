-- rangefetch cluster schema, version 3: commands that carry arguments. An update sent to the
-- node that runs a download carries its fields ({"url":...,"mirrors":[...],"limitBps":...});
-- the other commands have none (null), as every row written before this version.

ALTER TABLE rangefetch_command ADD COLUMN args jsonb;
