using Npgsql;
using Serverless.Functions.Hosting;

namespace CompanyHub.Integrations.Storage;

/// <summary>
/// The knowledge base in the hub's PostgreSQL schema (table <c>app_knowledge_pages</c>), shared by every replica and
/// searched with PostgreSQL's full-text search: a stored tsvector (English stemming, titles weighing more) under a GIN
/// index, queries through <c>websearch_to_tsquery</c>, results by <c>ts_rank</c>.
/// </summary>
public sealed class PostgresKnowledgeBase(SharedPostgresDatabase database) : IKnowledgeBase
{
    private const string Table = "app_knowledge_pages";

    private readonly PostgresAppTables _tables = new(database, "knowledge", $"""
        CREATE TABLE IF NOT EXISTS {Table} (
            id text PRIMARY KEY, title text NOT NULL, body text NOT NULL, source text NOT NULL, source_id text, source_parent text,
            updated_at bigint NOT NULL, updated_by text NOT NULL,
            search tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')) STORED);
        CREATE INDEX IF NOT EXISTS {Table}_search ON {Table} USING gin (search);
        CREATE INDEX IF NOT EXISTS {Table}_source ON {Table} (source, source_parent, source_id);
        """);

    public async Task<IReadOnlyList<KnowledgePageSummary>> ListAsync(int top, CancellationToken cancellationToken = default)
    {
        await using var connection = await _tables.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        return await KnowledgeSql.ListAsync(command, Table, top, cancellationToken).ConfigureAwait(false);
    }

    public async Task<KnowledgePage?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await _tables.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        return await KnowledgeSql.GetAsync(command, Table, "id = @id", [("id", PostgresAppTables.Text(id))], cancellationToken).ConfigureAwait(false);
    }

    public async Task<KnowledgePage?> FindBySourceAsync(string source, string sourceId, CancellationToken cancellationToken = default)
    {
        await using var connection = await _tables.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        return await KnowledgeSql.GetAsync(command, Table, "source = @source AND source_id = @sourceId",
            [("source", PostgresAppTables.Text(source)), ("sourceId", PostgresAppTables.Text(sourceId))], cancellationToken).ConfigureAwait(false);
    }

    public async Task PutAsync(KnowledgePage page, CancellationToken cancellationToken = default)
    {
        await using var connection = await _tables.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"""
            INSERT INTO {Table} (id, title, body, source, source_id, source_parent, updated_at, updated_by)
            VALUES (@id, @title, @body, @source, @sourceId, @parent, @at, @by)
            ON CONFLICT (id) DO UPDATE SET title = excluded.title, body = excluded.body, source = excluded.source, source_id = excluded.source_id,
                source_parent = excluded.source_parent, updated_at = excluded.updated_at, updated_by = excluded.updated_by
            """, connection);
        foreach (var (name, value) in KnowledgeSql.Row(page))
        {
            command.Parameters.AddWithValue(name, value is string s ? PostgresAppTables.Text(s) : value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await _tables.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"DELETE FROM {Table} WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", PostgresAppTables.Text(id));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    public async Task<int> DeleteMissingAsync(string source, string parent, IReadOnlyCollection<string> keep, CancellationToken cancellationToken = default)
    {
        await using var connection = await _tables.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"DELETE FROM {Table} WHERE source = @source AND source_parent = @parent AND (source_id IS NULL OR NOT (source_id = ANY(@keep)))", connection);
        command.Parameters.AddWithValue("source", PostgresAppTables.Text(source));
        command.Parameters.AddWithValue("parent", PostgresAppTables.Text(parent));
        command.Parameters.AddWithValue("keep", keep.Select(k => PostgresAppTables.Clean(k)!).ToArray());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<KnowledgeHit>> SearchAsync(string query, int top, CancellationToken cancellationToken = default)
    {
        var words = KnowledgeRules.Words(query);
        if (words.Count == 0)
        {
            return [];
        }

        await using var connection = await _tables.OpenAsync(cancellationToken).ConfigureAwait(false);

        // websearch_to_tsquery never fails on what it is given; the words are joined with "or" so that any of them matches.
        await using var command = new NpgsqlCommand($"""
            SELECT id, title, ts_headline('english', body, q, 'StartSel=[, StopSel=], MaxWords=35, MinWords=15, MaxFragments=1, FragmentDelimiter=…')
            FROM {Table}, websearch_to_tsquery('english', @query) AS q
            WHERE search @@ q ORDER BY ts_rank(search, q) DESC, id LIMIT @top
            """, connection);
        command.Parameters.AddWithValue("query", string.Join(" or ", words.Where(w => w != "or")));
        return await KnowledgeSql.HitsAsync(command, top, cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> CountAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _tables.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {Table}", connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }
}
