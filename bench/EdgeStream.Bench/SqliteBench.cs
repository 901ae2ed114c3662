using Microsoft.Data.Sqlite;

namespace EdgeStream.Bench;

/// <summary>
/// SQLite in WAL mode with synchronous=FULL (every commit fsynced): each appender inserts a batch in one transaction
/// on its own connection. Writers serialize on SQLite's write lock, as they would in an application.
/// </summary>
internal static class SqliteBench
{
    public static async Task<Measurement> DurableBatchesAsync(string directory, Workload w, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(directory, "bench.db"),
            Pooling = false,
            DefaultTimeout = 60,
        }.ToString();
        await using (var setup = await OpenAsync(connectionString, ct))
        {
            await ExecuteAsync(setup, "PRAGMA journal_mode=WAL; CREATE TABLE records (id INTEGER PRIMARY KEY, value BLOB NOT NULL);", ct);
        }
        var connections = new SqliteConnection[w.Appenders];
        for (var i = 0; i < connections.Length; i++)
        {
            connections[i] = await OpenAsync(connectionString, ct);
        }
        var payload = w.Payload();
        try
        {
            var (records, elapsed) = await Appenders.RunAsync(w.Appenders, w.Duration, async (id, token) =>
            {
                var connection = connections[id];
                // BEGIN IMMEDIATE (the default here): take the write lock up front instead of failing to upgrade later.
                await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(token);
                await using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO records (value) VALUES ($v)";
                var value = insert.Parameters.Add("$v", SqliteType.Blob);
                value.Value = payload;
                for (var i = 0; i < w.BatchSize; i++)
                {
                    await insert.ExecuteNonQueryAsync(token);
                }
                await transaction.CommitAsync(token);
                return w.BatchSize;
            }, ct);
            return new Measurement("SQLite", "WAL, sync=FULL", w, records, elapsed);
        }
        finally
        {
            foreach (var c in connections)
            {
                await c.DisposeAsync();
            }
        }
    }

    private static async Task<SqliteConnection> OpenAsync(string connectionString, CancellationToken ct)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        // Per connection: synchronous is not persistent, so every connection must ask for FULL.
        await ExecuteAsync(connection, "PRAGMA synchronous=FULL;", ct);
        return connection;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }
}
