using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CompanyHub.Functions;
using CompanyHub.Security;

namespace CompanyHub.Tests;

/// <summary>The key ring: derivations from MASTER_KEY, the generated key file, and refusal of a malformed key.</summary>
public sealed class MasterKeyTests
{
    private static readonly Regex AdminTokenShape = new("^[A-Za-z0-9_-]{32}$", RegexOptions.CultureInvariant);

    [Fact]
    public void KeyRing_SameRootKey_DerivesTheSameKeys_EachLabelItsOwn()
    {
        var root = RandomNumberGenerator.GetBytes(32);

        var first = new KeyRing(root);
        var second = new KeyRing((byte[])root.Clone());
        var other = new KeyRing(RandomNumberGenerator.GetBytes(32));

        Assert.Equal(first.AdminToken, second.AdminToken);
        Assert.Equal(first.SealingKey, second.SealingKey);
        Assert.Equal(first.BackupKey, second.BackupKey);
        Assert.Equal(first.OAuthStateKey, second.OAuthStateKey);
        Assert.Equal(first.KeyId, second.KeyId);
        Assert.NotEqual(first.AdminToken, other.AdminToken);
        Assert.NotEqual(first.SealingKey, other.SealingKey);

        // HKDF-SHA256, empty salt, info = the label: computed here independently of KeyRing.
        var expectedAdmin = System.Buffers.Text.Base64Url.EncodeToString(HKDF.DeriveKey(HashAlgorithmName.SHA256, root, 24, [], Encoding.UTF8.GetBytes("gateway-admin-token")));
        Assert.Equal(expectedAdmin, first.AdminToken);
        Assert.Matches(AdminTokenShape, first.AdminToken);

        var derived = new[] { KeyRing.AdminTokenLabel, KeyRing.SealingLabel, KeyRing.BackupLabel, KeyRing.OAuthStateLabel }
            .Select(label => Convert.ToHexString(KeyRing.Derive(root, label, 32)))
            .ToArray();
        Assert.Equal(derived.Length, derived.Distinct().Count());
        Assert.DoesNotContain(Convert.ToHexString(root), derived);
        Assert.Equal(Convert.ToHexString(first.SealingKey), derived[1]);
        Assert.Equal(Convert.ToHexString(first.BackupKey), derived[2]);
        Assert.Equal(Convert.ToHexString(first.OAuthStateKey), derived[3]);
    }

    [Fact]
    public async Task RunningHub_AdminTokenDerivedFromMasterKey_IsTheAdmin()
    {
        var masterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        await using var hub = await HubServer.StartAsync(masterKey: masterKey);
        var adminToken = System.Buffers.Text.Base64Url.EncodeToString(
            HKDF.DeriveKey(HashAlgorithmName.SHA256, Convert.FromBase64String(masterKey), 24, [], Encoding.UTF8.GetBytes("gateway-admin-token")));

        using var admin = hub.Http(adminToken);
        var me = await admin.GetFromJsonAsync<JsonObject>("/api/me");

        Assert.Equal("admin", me!["role"]!.GetValue<string>());
        Assert.Null(me["agentId"]);
    }

    [Fact]
    public async Task Start_WithoutMasterKey_GeneratesKeyFileWithMode0600_AndReusesItAfterRestart()
    {
        var directory = Path.Combine(Path.GetTempPath(), "hub-server-tests", Guid.NewGuid().ToString("N"));
        var noMasterKey = new Dictionary<string, string?> { ["MASTER_KEY"] = null };
        string firstFile;
        string adminToken;
        await using (var hub = await HubServer.StartAsync(noMasterKey, directory))
        {
            var path = Path.Combine(directory, "master.key");
            Assert.True(File.Exists(path), "the hub generated no master.key");
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            firstFile = await File.ReadAllTextAsync(path);
            Assert.Equal(32, Convert.FromBase64String(firstFile).Length);
            adminToken = new KeyRing(Convert.FromBase64String(firstFile)).AdminToken;
            Assert.NotEqual(hub.AdminToken, adminToken);
            using var admin = hub.Http(adminToken);
            Assert.Equal("admin", (await admin.GetFromJsonAsync<JsonObject>("/api/me"))!["role"]!.GetValue<string>());
        }

        await using (var again = await HubServer.StartAsync(noMasterKey, directory))
        {
            Assert.Equal(firstFile, await File.ReadAllTextAsync(Path.Combine(directory, "master.key")));
            using var admin = again.Http(adminToken);
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/me")).StatusCode);
        }
    }

    [Theory]
    [InlineData("this is not base64!")]
    [InlineData("c2hvcnQ=")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Build_MalformedMasterKey_ThrowsKeyConfigurationException_NamingTheSettingNotTheValue(string malformed)
    {
        var directory = Path.Combine(Path.GetTempPath(), "hub-server-tests", Guid.NewGuid().ToString("N"));

        var error = Assert.Throws<KeyConfigurationException>(() => CompanyHubApp.Build([$"--MASTER_KEY={malformed}", $"--Host:DataDirectory={directory}", "--urls=http://127.0.0.1:0"]));

        Assert.Contains("MASTER_KEY", error.Message, StringComparison.Ordinal);
        Assert.Contains("openssl rand -base64 32", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(malformed, error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(directory, "master.key")), "a malformed MASTER_KEY must not fall back to a generated key");
    }

    [Fact]
    public async Task Build_CorruptKeyFile_ThrowsKeyConfigurationException_NamingTheFile()
    {
        var directory = Path.Combine(Path.GetTempPath(), "hub-server-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "master.key"), "truncated");

        var error = Assert.Throws<KeyConfigurationException>(() => CompanyHubApp.Build([$"--Host:DataDirectory={directory}", "--urls=http://127.0.0.1:0", "--MASTER_KEY="]));

        Assert.Contains("master.key", error.Message, StringComparison.Ordinal);
        Assert.Contains("corrupt", error.Message, StringComparison.Ordinal);
    }
}
