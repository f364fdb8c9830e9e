-- Demo data for Backfill Studio: the hypertable `conditions` with 90 daily chunks
-- (2026-08-03 .. 2026-10-31 UTC), the chunks more than 30 days older than the newest
-- data compressed, and a compression policy. The window is fixed so that the sample
-- CSV files in resources/samples/ always land on the same chunks.
--
-- Device 5 has a gap (no rows 2026-08-10 .. 2026-08-16) inside compressed chunks:
-- resources/samples/conditions_gap.csv fills it.
CREATE EXTENSION IF NOT EXISTS timescaledb;

CREATE TABLE conditions (
    time        timestamptz      NOT NULL,
    device_id   integer          NOT NULL,
    temperature double precision,
    humidity    double precision,
    status      text,
    UNIQUE (time, device_id)
);

SELECT create_hypertable('conditions', 'time', chunk_time_interval => interval '1 day');

-- One reading per device every 30 minutes; values are a deterministic function of
-- time and device so that the sample files can reproduce existing rows exactly.
INSERT INTO conditions (time, device_id, temperature, humidity, status)
SELECT t, d,
       round((20 + d + 5 * sin(extract(epoch FROM t) / 43200.0 * pi()))::numeric, 2)::double precision,
       round((50 + 2 * d + 10 * cos(extract(epoch FROM t) / 86400.0 * pi()))::numeric, 2)::double precision,
       CASE WHEN extract(hour FROM t AT TIME ZONE 'UTC') = 3 AND d = 2 THEN 'maintenance' ELSE 'ok' END
FROM generate_series(timestamptz '2026-08-03 00:00:00+00', timestamptz '2026-10-31 23:30:00+00', interval '30 minutes') AS t,
     generate_series(1, 5) AS d
WHERE NOT (d = 5 AND t >= timestamptz '2026-08-10 00:00:00+00' AND t < timestamptz '2026-08-17 00:00:00+00');

ALTER TABLE conditions SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'device_id',
    timescaledb.compress_orderby = 'time DESC'
);

SELECT compress_chunk(format('%I.%I', chunk_schema, chunk_name)::regclass, true)
FROM timescaledb_information.chunks
WHERE hypertable_name = 'conditions'
  AND range_end <= timestamptz '2026-10-02 00:00:00+00'
ORDER BY range_start;

SELECT add_compression_policy('conditions', compress_after => interval '30 days');
