using CompanyHub.Backups;
using CompanyHub.Entities;
using CompanyHub.Functions;
using CompanyHub.Integrations.Storage;
using CompanyHub.Security;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Serverless.Functions.Hosting;

namespace CompanyHub.Tests;

/// <summary>
/// The audit log and the conversation archive on both homes they can have: SQLite files in the data directory, and
/// the hub's PostgreSQL schema (shared by replicas; the test server of scripts/test, HUB_TEST_POSTGRES).
/// </summary>
public sealed class AppStoreTests
{
    public static TheoryData<string> Stores() => ["sqlite", "postgres"];

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Archive_AppendIsIdempotentBySequence_AndPagesOldestFirst(string store)
    {
        await using var home = await StoreHome.CreateAsync(store);
        var archive = home.Archive();
        var at = new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
        ConversationMessage Message(long seq) => new(seq, seq % 2 == 0 ? "assistant" : "user", $"message {seq} — ünïcode ✓", at.AddSeconds(seq), seq == 3 ? "turn-3" : null);

        await archive.AppendAsync("alice", [.. Enumerable.Range(1, 5).Select(i => Message(i))]);
        await archive.AppendAsync("alice", [.. Enumerable.Range(4, 4).Select(i => Message(i))]); // 4 and 5 again, 6 and 7 new
        await archive.AppendAsync("bob", [Message(1)]);
        var page = await archive.ReadAsync("alice", after: 2, top: 3);
        var all = await archive.ReadAsync("alice", after: 0, top: 100);

        Assert.Equal([3L, 4L, 5L], page.Select(m => m.Seq));
        Assert.Equal(Message(3), page[0]);
        Assert.Null(page[1].TurnId);
        Assert.Equal(Enumerable.Range(1, 7).Select(i => (long)i), all.Select(m => m.Seq));
        Assert.Single(await archive.ReadAsync("bob", 0, 10));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Audit_FiltersNewestFirst_ActionPrefixIsLiteral_AndRowsCannotChange(string store)
    {
        await using var home = await StoreHome.CreateAsync(store);
        var audit = home.Audit();
        var at = new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
        await audit.AppendAsync(new AuditRecord(at, "admin", "management.raiseEvent", "alice", "approval-1", null, "127.0.0.1", "ok"));
        await audit.AppendAsync(new AuditRecord(at.AddMinutes(1), "user:alice", "proposal.approve", "alice", "p-1", "edited", null, "ok"));
        await audit.AppendAsync(new AuditRecord(at.AddMinutes(2), "user:bob", "management_x", "bob", null, null, null, "refused"));

        var alice = await audit.QueryAsync(new AuditQuery(AgentId: "alice"));
        var management = await audit.QueryAsync(new AuditQuery(Action: "management."));
        var underscore = await audit.QueryAsync(new AuditQuery(Action: "management_"));
        var window = await audit.QueryAsync(new AuditQuery(From: at.AddSeconds(30), To: at.AddSeconds(90)));
        var top = await audit.QueryAsync(new AuditQuery(Top: 2));

        Assert.Equal(["proposal.approve", "management.raiseEvent"], alice.Select(r => r.Action));
        Assert.Equal("management.raiseEvent", Assert.Single(management).Action);
        Assert.Equal("management_x", Assert.Single(underscore).Action);
        Assert.Equal(new AuditRecord(at.AddMinutes(1), "user:alice", "proposal.approve", "alice", "p-1", "edited", null, "ok"), Assert.Single(window));
        Assert.Equal(["management_x", "proposal.approve"], top.Select(r => r.Action));
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => home.ExecuteAsync("UPDATE {audit} SET outcome = 'ok'"));
        Assert.Contains("append-only", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<Exception>(() => home.ExecuteAsync("DELETE FROM {audit}"));
        Assert.Equal(3, (await audit.QueryAsync(new AuditQuery())).Count);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Knowledge_SearchesWordsWithStemming_TitlesFirst_QuerySyntaxIsInert_AndDeletesLeaveTheIndex(string store)
    {
        await using var home = await StoreHome.CreateAsync(store);
        var knowledge = home.Knowledge();
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        await knowledge.PutAsync(new KnowledgePage("kb-expenses", "Expense policy", "Meals are reimbursed up to 40 EUR a day. Book travel through Navan.", KnowledgeSources.Manual, null, null, at, "admin"));
        await knowledge.PutAsync(new KnowledgePage("kb-travel", "Travelling to clients", "Ask your manager before you book flights; meals on the road follow the expense policy.", KnowledgeSources.Manual, null, null, at, "admin"));
        await knowledge.PutAsync(new KnowledgePage("kb-holidays", "Holidays", "Everyone gets 28 days of holiday.", KnowledgeSources.Notion, "n-1", "db-1", at, "admin"));

        // "meal" finds "Meals" (stemming) in both; the page whose title matches ranks first for "travel".
        Assert.Equal(["kb-expenses", "kb-travel"], (await knowledge.SearchAsync("meal", 10)).Select(h => h.Id).Order(StringComparer.Ordinal));
        Assert.Equal("kb-travel", (await knowledge.SearchAsync("travelling", 10))[0].Id);
        Assert.Contains("[", (await knowledge.SearchAsync("holiday", 10)).Single().Snippet, StringComparison.Ordinal);

        // Any of the words matches; FTS5 / tsquery syntax in a query is only words.
        Assert.Equal(3, (await knowledge.SearchAsync("holidays OR \"meals\" AND -travel NEAR( * :", 10)).Count);
        Assert.Empty(await knowledge.SearchAsync("\"()*:^", 10));
        Assert.Empty(await knowledge.SearchAsync("submarine", 10));

        // Replacing a page replaces what is found; deleting it removes it from the search.
        await knowledge.PutAsync(new KnowledgePage("kb-expenses", "Expense policy", "Taxis are reimbursed.", KnowledgeSources.Manual, null, null, at, "admin"));
        Assert.Equal(["kb-travel"], (await knowledge.SearchAsync("meals", 10)).Select(h => h.Id));
        Assert.True(await knowledge.DeleteAsync("kb-expenses"));
        Assert.False(await knowledge.DeleteAsync("kb-expenses"));
        Assert.Empty(await knowledge.SearchAsync("taxis", 10));

        // A sync removes the pages gone from its database only.
        Assert.Equal("kb-holidays", (await knowledge.FindBySourceAsync(KnowledgeSources.Notion, "n-1"))!.Id);
        Assert.Equal(0, await knowledge.DeleteMissingAsync(KnowledgeSources.Notion, "db-1", ["n-1"]));
        Assert.Equal(1, await knowledge.DeleteMissingAsync(KnowledgeSources.Notion, "db-1", []));
        Assert.Equal(["kb-travel"], (await knowledge.ListAsync(10)).Select(p => p.Id));
        Assert.Equal(1, await knowledge.CountAsync());
        Assert.Equal(at, (await knowledge.GetAsync("kb-travel"))!.UpdatedAt);
    }

    [Fact]
    public async Task PostgresStores_TwoReplicas_SeeOneArchiveAndOneAuditLog()
    {
        await using var home = await StoreHome.CreateAsync("postgres");
        var (first, second) = (home.Archive(), home.Archive());
        var (firstAudit, secondAudit) = (home.Audit(), home.Audit());

        await first.AppendAsync("alice", [new ConversationMessage(1, "user", "hi", DateTimeOffset.UnixEpoch)]);
        await secondAudit.AppendAsync(new AuditRecord(DateTimeOffset.UnixEpoch, "admin", "agent.offboard", "alice", null, null, null, "ok"));

        Assert.Equal("hi", Assert.Single(await second.ReadAsync("alice", 0, 10)).Text);
        Assert.Equal("agent.offboard", Assert.Single(await firstAudit.QueryAsync(new AuditQuery())).Action);
    }

    [Fact]
    public void Hub_OnThePostgresStore_KeepsAuditAndArchiveInTheDatabase_OnSqliteInTheDataDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "hub-app-store-tests", Guid.NewGuid().ToString("N"));
        string[] Args(params string[] extra) => [$"--Host:DataDirectory={directory}", "--urls=http://127.0.0.1:0", "--MASTER_KEY=" + new string('a', 64), .. extra];

        var onPostgres = CompanyHubApp.Build(Args(
            "--AzureFunctionsJobHost:extensions:durableTask:storageProvider:type=postgres",
            "--POSTGRES_CONNECTION=" + StoreHome.PostgresConnectionString(),
            "--S3_BUCKET=hub-backups",
            "--S3_ENDPOINT=http://127.0.0.1:9"));
        var onSqlite = CompanyHubApp.Build(Args());
        try
        {
            Assert.IsType<PostgresAuditLog>(onPostgres.Services.GetRequiredService<IAuditLog>());
            Assert.IsType<PostgresConversationArchive>(onPostgres.Services.GetRequiredService<IConversationArchive>());
            Assert.IsType<SqliteAuditLog>(onSqlite.Services.GetRequiredService<IAuditLog>());
            Assert.IsType<SqliteConversationArchive>(onSqlite.Services.GetRequiredService<IConversationArchive>());
            Assert.IsType<PostgresKnowledgeBase>(onPostgres.Services.GetRequiredService<IKnowledgeBase>());
            Assert.IsType<SqliteKnowledgeBase>(onSqlite.Services.GetRequiredService<IKnowledgeBase>());
            Assert.Null(onPostgres.Services.GetRequiredService<BackupService>().Options); // snapshots copy SQLite files: off here
        }
        finally
        {
            ((IDisposable)onPostgres).Dispose();
            ((IDisposable)onSqlite).Dispose();
        }
    }

    /// <summary>A fresh directory or schema for one test, removed afterwards.</summary>
    private sealed class StoreHome : IAsyncDisposable
    {
        private readonly string _store;
        private readonly string _location;
        private readonly List<IAsyncDisposable> _open = [];

        private StoreHome(string store, string location)
        {
            _store = store;
            _location = location;
        }

        public static string PostgresConnectionString() => TestPostgres.ConnectionString();

        public static Task<StoreHome> CreateAsync(string store) => Task.FromResult(store == "postgres"
            ? new StoreHome(store, "app_" + Guid.NewGuid().ToString("N"))
            : new StoreHome(store, Directory.CreateTempSubdirectory("hub-app-store-").FullName));

        public IConversationArchive Archive() => _store == "postgres"
            ? new PostgresConversationArchive(Shared())
            : new SqliteConversationArchive(Path.Combine(_location, "conversations.db"));

        public IKnowledgeBase Knowledge() => _store == "postgres"
            ? new PostgresKnowledgeBase(Shared())
            : new SqliteKnowledgeBase(Path.Combine(_location, "knowledge.db"));

        public IAuditLog Audit() => _store == "postgres"
            ? new PostgresAuditLog(Shared())
            : new SqliteAuditLog(Path.Combine(_location, "audit.db"));

        /// <summary>Runs a statement against the store's own tables (<c>{audit}</c> names the audit table).</summary>
        public async Task ExecuteAsync(string sql)
        {
            if (_store == "postgres")
            {
                await using var connection = await Shared().DataSource.OpenConnectionAsync();
                await using var command = new NpgsqlCommand(sql.Replace("{audit}", "app_audit", StringComparison.Ordinal), connection);
                await command.ExecuteNonQueryAsync();
            }
            else
            {
                await using var connection = new SqliteConnection($"Data Source={Path.Combine(_location, "audit.db")};Pooling=false");
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = sql.Replace("{audit}", "Audit", StringComparison.Ordinal);
                await command.ExecuteNonQueryAsync();
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var open in _open)
            {
                await open.DisposeAsync();
            }

            if (_store == "postgres")
            {
                await using var connection = new NpgsqlConnection(PostgresConnectionString());
                await connection.OpenAsync();
                await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{_location}\" CASCADE", connection);
                await drop.ExecuteNonQueryAsync();
            }
            else
            {
                SqliteConnection.ClearAllPools();
                Directory.Delete(_location, recursive: true);
            }
        }

        private SharedPostgresDatabase Shared()
        {
            var shared = new SharedPostgresDatabase(PostgresConnectionString(), _location);
            _open.Add(shared);
            return shared;
        }
    }
}
