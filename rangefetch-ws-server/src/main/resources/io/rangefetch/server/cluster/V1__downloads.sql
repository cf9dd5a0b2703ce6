-- rangefetch cluster schema, version 1: the shared list and queue, and the commands sent to
-- the node that runs a download. Run once, in one transaction, by the first server to start.

CREATE SEQUENCE rangefetch_download_id;

CREATE TABLE rangefetch_download (
  id          bigint PRIMARY KEY,
  -- the URL as added, credentials included (the status shows it without them)
  url         text NOT NULL,
  -- the protocol's state; kept beside the record so that claims and commands can use it
  state       text NOT NULL,
  -- the node that runs the download, or ran it last (and holds its file or part file)
  owner       text,
  -- the owner's claim lasts until then, unless renewed
  lease_until timestamptz,
  -- what the node needs to run it: the protocol's StoredDownload, status included
  record      jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- An add of a URL the cluster has (not failed, not cancelled) returns the existing download.
-- Hashed, as a URL may be longer than a b-tree entry may be.
CREATE UNIQUE INDEX rangefetch_download_live_url ON rangefetch_download (md5(url))
  WHERE state NOT IN ('failed', 'cancelled');

CREATE INDEX rangefetch_download_claimable ON rangefetch_download (id)
  WHERE state IN ('queued', 'probing', 'downloading');

CREATE INDEX rangefetch_download_owner ON rangefetch_download (owner);

CREATE TABLE rangefetch_command (
  id          bigserial PRIMARY KEY,
  download_id bigint NOT NULL,
  -- the node that is to carry it out
  node        text NOT NULL,
  op          text NOT NULL,
  -- {"status":{...}} or {"error":{"code":...,"message":...}}, once done
  result      jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  done_at     timestamptz
);

CREATE INDEX rangefetch_command_pending ON rangefetch_command (node) WHERE done_at IS NULL;
