using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>
/// The data directory holds the conversations, proposals, audit log and keys: only the hub's own user may read it — the
/// directory 0700, every file in it 0600, whoever creates the file (the hub, or SQLite its -wal and -shm). Linux: the
/// hub sets the process umask there.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PrivateDataDirectoryTests
{
    private const UnixFileMode Folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode File0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public async Task FreshDataDirectory_IsCreated0700_AndEveryFileTheHubWritesIs0600()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // Arrange: a data directory that does not exist yet.
        var data = Path.Combine(Path.GetTempPath(), "hub-server-tests", Guid.NewGuid().ToString("N"), "data");
        await using var tools = await ToolHub.StartAsync(Tools.Attio, [new("Host:DataDirectory", data)]);

        // Act: data of every kind — a person, a conversation, a proposal and its audit entries.
        var alice = await tools.OnboardWithDevSignInAsync("alice@company.com", "Alice Example");
        using var user = tools.User(alice);
        Assert.Equal(HttpStatusCode.Accepted, (await user.PostAsJsonAsync($"/api/agents/{alice}/messages", new { text = "Hello" })).StatusCode);
        await ToolHub.WaitUntilAsync(
            () => user.GetFromJsonAsync<JsonObject>($"/api/agents/{alice}/messages").GetAwaiter().GetResult()!["messages"]!.AsArray().Any(m => m!["role"]!.GetValue<string>() == "assistant"),
            "the agent's answer");
        var proposal = await ToolHub.ProposeAsync(user, alice, ProposalTypes.CreateAttioTask, new JsonObject { ["content"] = "Call Sarah" });
        await ToolHub.DecideOkAsync(user, proposal, "reject", reason: "not now");

        // Assert: while the hub runs (its SQLite files open, with their -wal and -shm).
        var entries = Directory.GetFileSystemEntries(data, "*", SearchOption.AllDirectories);
        var names = entries.Select(e => Path.GetRelativePath(data, e)).ToList();
        Assert.Subset(names.ToHashSet(), new HashSet<string> { "CompanyHub.db", "CompanyHub.db-wal", "CompanyHub.db-shm", "audit.db", "conversations.db", "host-admin.key" });
        Assert.Equal(Folder, File.GetUnixFileMode(data));
        Assert.All(entries, e => Assert.True(
            File.GetUnixFileMode(e) == (Directory.Exists(e) ? Folder : File0600),
            $"{Path.GetRelativePath(data, e)} has mode {Convert.ToString((int)File.GetUnixFileMode(e), 8)}"));
    }

    [Fact]
    public async Task ExistingDataDirectory_OpenToOthers_IsTightenedAtStart_AndTheLogSaysSo()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // Arrange: a data directory, a file and a folder readable by everyone (as an older release left them).
        var data = Directory.CreateTempSubdirectory("hub-private-").FullName;
        var open = Folder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        var readable = File0600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        var notes = Path.Combine(data, "notes.txt");
        var folder = Path.Combine(data, "kept");
        var inner = Path.Combine(folder, "old.db");
        await File.WriteAllTextAsync(notes, "written before");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(inner, "written before");
        File.SetUnixFileMode(data, open);
        File.SetUnixFileMode(folder, open);
        File.SetUnixFileMode(notes, readable);
        File.SetUnixFileMode(inner, readable | UnixFileMode.OtherWrite);

        // Act
        await using (var hub = await HubServer.StartAsync(directory: data))
        {
            // Assert
            Assert.Equal(Folder, File.GetUnixFileMode(data));
            Assert.Equal(Folder, File.GetUnixFileMode(folder));
            Assert.Equal(File0600, File.GetUnixFileMode(notes));
            Assert.Equal(File0600, File.GetUnixFileMode(inner));
            var line = Assert.Single(hub.Logs.Lines, l => l.Contains("was open to other users", StringComparison.Ordinal));
            Assert.StartsWith("Warning ", line, StringComparison.Ordinal);
            Assert.Contains("made 4 entries private", line, StringComparison.Ordinal);
            Assert.Contains(Path.Combine("kept", "old.db"), line, StringComparison.Ordinal);
        }

        // Nothing left to tighten: the next start says nothing.
        await using var again = await HubServer.StartAsync(directory: data);
        Assert.DoesNotContain(again.Logs.Lines, l => l.Contains("was open to other users", StringComparison.Ordinal));
    }
}
