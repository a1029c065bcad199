using Dapper;
using Microsoft.Data.Sqlite;

namespace Connect.Shared.Metrics;

/// <summary>One value of one series at one time.</summary>
public sealed record Sample(string Series, double Value);

/// <summary>A point of a chart: the average of a series over the bucket starting at <see cref="At"/>.</summary>
public sealed record ChartPoint(DateTimeOffset At, double Value);

/// <summary>The spans a chart covers, each read from the resolution that suits it.</summary>
public enum ChartRange
{
    /// <summary>The last hour, from raw samples.</summary>
    Hour,

    /// <summary>The last 24 hours, by minute.</summary>
    Day,

    /// <summary>The last 30 days, by hour.</summary>
    Month,
}

/// <summary>
/// A node's own metrics: one SQLite file under <c>Metrics.DataPath</c>. Samples are kept raw for a day; every
/// sample also goes into its minute's and its hour's running average at once (no rollup job to fall behind),
/// and those are kept for 30 days and a year. Old rows are pruned as samples arrive, so the file stops
/// growing after a year (see the README for its size, measured by bench/metrics-year.sh).
/// </summary>
public sealed class MetricsStore : IDisposable
{
    public static readonly TimeSpan RawKept = TimeSpan.FromDays(1);
    public static readonly TimeSpan MinutesKept = TimeSpan.FromDays(30);
    public static readonly TimeSpan HoursKept = TimeSpan.FromDays(366);

    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Pages freed by pruning are reused by the next inserts, so the file holds steady; once a day the spare ones
    /// (say, of a content item that stopped running) go back to the file system.
    /// </summary>
    private static readonly TimeSpan CompactEvery = TimeSpan.FromDays(1);

    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _seriesIds = new(StringComparer.Ordinal);
    private DateTimeOffset _lastPrune = DateTimeOffset.MinValue;
    private DateTimeOffset _lastCompact = DateTimeOffset.MinValue;
    private (SqliteCommand Raw, SqliteCommand Minute, SqliteCommand Hour)? _write;

    public MetricsStore(string directory)
    {
        Data.PrivateFiles.EnsureFolder(directory);
        FilePath = Path.Combine(directory, "metrics.sqlite");
        Data.PrivateFiles.EnsureFile(FilePath);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = FilePath, Pooling = false }.ToString());
        _connection.Open();
        _connection.Execute("""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            PRAGMA auto_vacuum = INCREMENTAL;
            CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
            CREATE TABLE IF NOT EXISTS raw (series INTEGER NOT NULL, at INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (series, at)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS minute (series INTEGER NOT NULL, at INTEGER NOT NULL, sum REAL NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (series, at)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS hour (series INTEGER NOT NULL, at INTEGER NOT NULL, sum REAL NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (series, at)) WITHOUT ROWID;
            """);
        foreach (var (id, name) in _connection.Query<(long, string)>("SELECT id, name FROM series"))
        {
            _seriesIds[name] = id;
        }
    }

    public string FilePath { get; }

    public void Write(DateTimeOffset at, IReadOnlyList<Sample> samples)
    {
        var ms = at.ToUnixTimeMilliseconds();
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            var write = _write ??= Prepare();
            write.Raw.Transaction = write.Minute.Transaction = write.Hour.Transaction = transaction;
            foreach (var sample in samples.Where(s => double.IsFinite(s.Value)))
            {
                var series = SeriesId(sample.Series, transaction);
                Run(write.Raw, series, ms, sample.Value);
                Run(write.Minute, series, ms - ms % 60_000, sample.Value);
                Run(write.Hour, series, ms - ms % 3_600_000, sample.Value);
            }

            if (at - _lastPrune >= PruneEvery)
            {
                _lastPrune = at;
                _connection.Execute("DELETE FROM raw WHERE at < @cut", new { cut = (at - RawKept).ToUnixTimeMilliseconds() }, transaction);
                _connection.Execute("DELETE FROM minute WHERE at < @cut", new { cut = (at - MinutesKept).ToUnixTimeMilliseconds() }, transaction);
                _connection.Execute("DELETE FROM hour WHERE at < @cut", new { cut = (at - HoursKept).ToUnixTimeMilliseconds() }, transaction);
            }

            transaction.Commit();
            if (at - _lastCompact >= CompactEvery)
            {
                _lastCompact = at;
                _connection.Execute("PRAGMA incremental_vacuum");
            }
        }
    }

    private static void Run(SqliteCommand command, long series, long at, double value)
    {
        command.Parameters[0].Value = series;
        command.Parameters[1].Value = at;
        command.Parameters[2].Value = value;
        command.ExecuteNonQuery();
    }

    /// <summary>The three statements every sample runs, prepared once (a node writes a dozen samples every few seconds for years).</summary>
    private (SqliteCommand Raw, SqliteCommand Minute, SqliteCommand Hour) Prepare()
    {
        SqliteCommand Command(string sql)
        {
            var command = _connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.Add("@series", SqliteType.Integer);
            command.Parameters.Add("@at", SqliteType.Integer);
            command.Parameters.Add("@value", SqliteType.Real);
            return command;
        }

        return (
            Command("INSERT OR REPLACE INTO raw (series, at, value) VALUES (@series, @at, @value)"),
            Command("INSERT INTO minute (series, at, sum, count) VALUES (@series, @at, @value, 1) ON CONFLICT (series, at) DO UPDATE SET sum = sum + excluded.sum, count = count + 1"),
            Command("INSERT INTO hour (series, at, sum, count) VALUES (@series, @at, @value, 1) ON CONFLICT (series, at) DO UPDATE SET sum = sum + excluded.sum, count = count + 1"));
    }

    /// <summary>The series' points over <paramref name="range"/> up to <paramref name="now"/>, oldest first.</summary>
    public IReadOnlyList<ChartPoint> Read(string series, ChartRange range, DateTimeOffset now)
    {
        var (table, span) = range switch
        {
            ChartRange.Hour => ("raw", TimeSpan.FromHours(1)),
            ChartRange.Day => ("minute", TimeSpan.FromDays(1)),
            _ => ("hour", TimeSpan.FromDays(30)),
        };
        var value = table == "raw" ? "value" : "sum / count";
        lock (_lock)
        {
            if (!_seriesIds.TryGetValue(series, out var id))
            {
                return [];
            }

            return _connection.Query<(long At, double Value)>(
                    $"SELECT at, {value} FROM {table} WHERE series = @id AND at >= @from ORDER BY at",
                    new { id, from = (now - span).ToUnixTimeMilliseconds() })
                .Select(p => new ChartPoint(DateTimeOffset.FromUnixTimeMilliseconds(p.At), p.Value))
                .ToList();
        }
    }

    /// <summary>Rows in each table (for tests and the README's size figures).</summary>
    public (long Raw, long Minutes, long Hours) RowCounts()
    {
        lock (_lock)
        {
            return (_connection.ExecuteScalar<long>("SELECT COUNT(*) FROM raw"),
                _connection.ExecuteScalar<long>("SELECT COUNT(*) FROM minute"),
                _connection.ExecuteScalar<long>("SELECT COUNT(*) FROM hour"));
        }
    }

    public IReadOnlyCollection<string> Series
    {
        get
        {
            lock (_lock)
            {
                return [.. _seriesIds.Keys];
            }
        }
    }

    private long SeriesId(string name, SqliteTransaction transaction)
    {
        if (!_seriesIds.TryGetValue(name, out var id))
        {
            id = _connection.ExecuteScalar<long>(
                "INSERT INTO series (name) VALUES (@name) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id", new { name }, transaction);
            _seriesIds[name] = id;
        }

        return id;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_write is { } write)
            {
                write.Raw.Dispose();
                write.Minute.Dispose();
                write.Hour.Dispose();
            }

            _connection.Dispose();
        }
    }
}
