-- rangefetch cluster schema, version 2: the history. Beyond history.max-finished, the
-- finished downloads that finished first leave the list (FinishedRows); their last change
-- (updated_at) is when they finished.

CREATE INDEX rangefetch_download_finished ON rangefetch_download (updated_at, id)
  WHERE state IN ('completed', 'failed', 'cancelled');
