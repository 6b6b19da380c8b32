using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace CompanyHub.Integrations.Storage;

/// <summary>Where a knowledge page comes from.</summary>
public static class KnowledgeSources
{
    /// <summary>Written by the admin (text or Markdown).</summary>
    public const string Manual = "manual";

    /// <summary>A page of a Notion database the hub syncs (source id: the Notion page id; parent: the database id).</summary>
    public const string Notion = "notion";
}

/// <summary>One page of the company knowledge base.</summary>
public sealed record KnowledgePage(string Id, string Title, string Body, string Source, string? SourceId, string? SourceParent, DateTimeOffset UpdatedAt, string UpdatedBy);

/// <summary>A page in a list: everything but its body, and the body's length.</summary>
public sealed record KnowledgePageSummary(string Id, string Title, string Source, string? SourceId, string? SourceParent, DateTimeOffset UpdatedAt, string UpdatedBy, int Length);

/// <summary>A search result: the page and the part of its text that matched (matches in [brackets]).</summary>
public sealed record KnowledgeHit(string Id, string Title, string Snippet);

/// <summary>
/// The company knowledge base: pages every agent can search (<c>search_knowledge</c>) and read. Full-text search of
/// the store the hub runs on: SQLite FTS5 (porter stemming) beside the SQLite store, PostgreSQL's (tsvector,
/// <c>websearch_to_tsquery</c>) in the hub's schema. No embedding model.
/// </summary>
public interface IKnowledgeBase
{
    Task<IReadOnlyList<KnowledgePageSummary>> ListAsync(int top, CancellationToken cancellationToken = default);

    Task<KnowledgePage?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Adds or replaces the page with its id.</summary>
    Task PutAsync(KnowledgePage page, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The pages that best match the words of <paramref name="query"/> (any of them), best first.</summary>
    Task<IReadOnlyList<KnowledgeHit>> SearchAsync(string query, int top, CancellationToken cancellationToken = default);

    /// <summary>Finds the page synced from <paramref name="sourceId"/> of <paramref name="source"/>.</summary>
    Task<KnowledgePage?> FindBySourceAsync(string source, string sourceId, CancellationToken cancellationToken = default);

    /// <summary>Deletes the pages synced from <paramref name="parent"/> whose source ids are not in <paramref name="keep"/>; returns how many.</summary>
    Task<int> DeleteMissingAsync(string source, string parent, IReadOnlyCollection<string> keep, CancellationToken cancellationToken = default);

    Task<int> CountAsync(CancellationToken cancellationToken = default);
}

/// <summary>The limits of the knowledge base and the search words of a query.</summary>
public static partial class KnowledgeRules
{
    public const int MaxTitle = 200;
    public const int MaxBody = 100_000;
    public const int MaxPages = 5000;
    public const int MaxQueryWords = 16;

    /// <summary>The words of a query (letters and digits), lower-cased, without repeats, at most <see cref="MaxQueryWords"/>: the only part of it the search engines see.</summary>
    public static IReadOnlyList<string> Words(string query) =>
        [.. WordPattern().Matches(query).Select(m => m.Value.ToLowerInvariant()).Distinct(StringComparer.Ordinal).Take(MaxQueryWords)];

    /// <summary>A new page id.</summary>
    public static string NewId() => "kb-" + Guid.NewGuid().ToString("N");

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex WordPattern();
}

/// <summary>The knowledge base in its own SQLite file (<c>knowledge.db</c>), searched with FTS5.</summary>
public sealed class SqliteKnowledgeBase : IKnowledgeBase
{
    private readonly AppDatabase _database;

    public SqliteKnowledgeBase(string path)
    {
        _database = new AppDatabase(path, """
        CREATE TABLE IF NOT EXISTS Pages (
        id TEXT PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL, source TEXT NOT NULL, source_id TEXT, source_parent TEXT,
        updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS PagesBySource ON Pages (source, source_parent, source_id);
        CREATE VIRTUAL TABLE IF NOT EXISTS PagesText USING fts5(id UNINDEXED, title, body, tokenize = 'porter unicode61');
        """);
    }

    public async Task<IReadOnlyList<KnowledgePageSummary>> ListAsync(int top, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        return await KnowledgeSql.ListAsync(command, "Pages", top, cancellationToken).ConfigureAwait(false);
    }

    public async Task<KnowledgePage?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        return await KnowledgeSql.GetAsync(command, "Pages", "id = @id", [("id", id)], cancellationToken).ConfigureAwait(false);
    }

    public async Task<KnowledgePage?> FindBySourceAsync(string source, string sourceId, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        return await KnowledgeSql.GetAsync(command, "Pages", "source = @source AND source_id = @sourceId", [("source", source), ("sourceId", sourceId)], cancellationToken).ConfigureAwait(false);
    }

    public async Task PutAsync(KnowledgePage page, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, tx, """
            INSERT INTO Pages (id, title, body, source, source_id, source_parent, updated_at, updated_by)
            VALUES (@id, @title, @body, @source, @sourceId, @parent, @at, @by)
            ON CONFLICT (id) DO UPDATE SET title = excluded.title, body = excluded.body, source = excluded.source, source_id = excluded.source_id,
                source_parent = excluded.source_parent, updated_at = excluded.updated_at, updated_by = excluded.updated_by;
            DELETE FROM PagesText WHERE id = @id;
            INSERT INTO PagesText (id, title, body) VALUES (@id, @title, @body);
            """, KnowledgeSql.Row(page), cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var deleted = await ExecuteAsync(connection, tx, "DELETE FROM PagesText WHERE id = @id; DELETE FROM Pages WHERE id = @id;", [("id", id)], cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted > 0;
    }

    public async Task<int> DeleteMissingAsync(string source, string parent, IReadOnlyCollection<string> keep, CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var ids = new List<string>();
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = tx;
            command.CommandText = "SELECT id, source_id FROM Pages WHERE source = @source AND source_parent = @parent";
            command.AddParameter("source", source);
            command.AddParameter("parent", parent);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.IsDBNull(1) || !keep.Contains(reader.GetString(1)))
                {
                    ids.Add(reader.GetString(0));
                }
            }
        }

        foreach (var id in ids)
        {
            await ExecuteAsync(connection, tx, "DELETE FROM PagesText WHERE id = @id; DELETE FROM Pages WHERE id = @id;", [("id", id)], cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return ids.Count;
    }

    public async Task<IReadOnlyList<KnowledgeHit>> SearchAsync(string query, int top, CancellationToken cancellationToken = default)
    {
        var words = KnowledgeRules.Words(query);
        if (words.Count == 0)
        {
            return [];
        }

        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();

        // Each word quoted (FTS5 syntax never comes from the query), any of them matching, best (bm25) first, titles weighing more.
        command.CommandText = """
            SELECT p.id, p.title, snippet(PagesText, 2, '[', ']', '…', 24)
            FROM PagesText JOIN Pages p ON p.id = PagesText.id
            WHERE PagesText MATCH @match ORDER BY bm25(PagesText, 0.0, 4.0, 1.0) LIMIT @top
            """;
        command.AddParameter("match", string.Join(" OR ", words.Select(w => $"\"{w}\"")));
        return await KnowledgeSql.HitsAsync(command, top, cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> CountAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM Pages";
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<int> ExecuteAsync(SqliteConnection connection, SqliteTransaction tx, string sql, IEnumerable<(string Name, object Value)> parameters, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.AddParameter(name, value);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The knowledge base's SQL that is the same on SQLite and PostgreSQL but for the table.</summary>
internal static class KnowledgeSql
{
    private const string Columns = "id, title, body, source, source_id, source_parent, updated_at, updated_by";

    /// <summary>A page's column values as parameters.</summary>
    public static (string Name, object Value)[] Row(KnowledgePage page) =>
    [
        ("id", page.Id), ("title", page.Title), ("body", page.Body), ("source", page.Source),
        ("sourceId", (object?)page.SourceId ?? DBNull.Value), ("parent", (object?)page.SourceParent ?? DBNull.Value),
        ("at", page.UpdatedAt.ToUnixTimeMilliseconds()), ("by", page.UpdatedBy),
    ];

    public static async Task<IReadOnlyList<KnowledgePageSummary>> ListAsync(DbCommand command, string table, int top, CancellationToken cancellationToken)
    {
        command.CommandText = $"SELECT id, title, source, source_id, source_parent, updated_at, updated_by, length(body) FROM {table} ORDER BY title, id LIMIT @top";
        command.AddParameter("top", Math.Clamp(top, 1, KnowledgeRules.MaxPages));
        var list = new List<KnowledgePageSummary>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new KnowledgePageSummary(reader.GetString(0), reader.GetString(1), reader.GetString(2), NullableText(reader, 3), NullableText(reader, 4),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)), reader.GetString(6), Convert.ToInt32(reader.GetValue(7), System.Globalization.CultureInfo.InvariantCulture)));
        }

        return list;
    }

    public static async Task<KnowledgePage?> GetAsync(DbCommand command, string table, string where, IEnumerable<(string Name, object Value)> parameters, CancellationToken cancellationToken)
    {
        command.CommandText = $"SELECT {Columns} FROM {table} WHERE {where} LIMIT 1";
        foreach (var (name, value) in parameters)
        {
            command.AddParameter(name, value);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new KnowledgePage(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), NullableText(reader, 4), NullableText(reader, 5),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)), reader.GetString(7))
            : null;
    }

    /// <summary>Runs a search (its text and words set; <c>@top</c> is set here, 1 to 50) and reads its hits: id, title, snippet.</summary>
    public static async Task<IReadOnlyList<KnowledgeHit>> HitsAsync(DbCommand command, int top, CancellationToken cancellationToken)
    {
        command.AddParameter("top", Math.Clamp(top, 1, 50));
        var hits = new List<KnowledgeHit>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            hits.Add(new KnowledgeHit(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        return hits;
    }

    private static string? NullableText(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
