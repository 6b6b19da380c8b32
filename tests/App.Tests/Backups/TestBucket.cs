using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using CompanyHub.Backups;
using CompanyHub.Security;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace CompanyHub.Tests.Backups;

/// <summary>
/// The S3-compatible server the test command starts (s3rver, see scripts/services): its address and bucket come from
/// <c>HUB_TEST_S3_ENDPOINT</c> and <c>HUB_TEST_S3_BUCKET</c>. Each test works under its own key prefix.
/// </summary>
public static class TestBucket
{
    public static string Endpoint => Environment.GetEnvironmentVariable("HUB_TEST_S3_ENDPOINT") is { Length: > 0 } endpoint
        ? endpoint
        : throw new InvalidOperationException("HUB_TEST_S3_ENDPOINT is not set: the backup tests need the S3 server that scripts/test starts (or run `scripts/services start s3rver && eval \"$(scripts/services env s3rver)\"` first).");

    public static string Bucket => Environment.GetEnvironmentVariable("HUB_TEST_S3_BUCKET") is { Length: > 0 } bucket ? bucket : "hub-backups";

    public static string NewPrefix() => $"t-{Guid.NewGuid():N}/";

    /// <summary>
    /// The hub's settings for the test server: only those docs/backups.md lists for s3rver (the bucket, its address and
    /// its credentials); everything else keeps the hub's defaults, so every backup test also checks that they work.
    /// </summary>
    public static List<KeyValuePair<string, string?>> Settings(string prefix, params (string Name, string Value)[] extra)
    {
        var settings = new List<KeyValuePair<string, string?>>
        {
            new("S3_BUCKET", Bucket),
            new("S3_ENDPOINT", Endpoint),
            new("S3_PREFIX", prefix),
            new("AWS_ACCESS_KEY_ID", "S3RVER"),
            new("AWS_SECRET_ACCESS_KEY", "S3RVER"),
            new("BACKUP_INTERVAL_SECONDS", "3600"),
        };
        settings.AddRange(extra.Select(e => new KeyValuePair<string, string?>(e.Name, e.Value)));
        return settings;
    }

    public static BackupOptions Options(string prefix) =>
        BackupOptions.Read(new ConfigurationBuilder().AddInMemoryCollection(Settings(prefix)).Build())!;

    /// <summary>A plain S3 client on the test server, to look at and alter objects behind the hub's back.</summary>
    public static AmazonS3Client Client() => new(new BasicAWSCredentials("S3RVER", "S3RVER"), new AmazonS3Config
    {
        ServiceURL = Endpoint,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    /// <summary>The keys of the snapshot objects under <paramref name="prefix"/>.</summary>
    public static async Task<List<string>> KeysAsync(string prefix)
    {
        using var client = Client();
        var response = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix + "snapshots/" });
        return (response.S3Objects ?? []).Select(o => o.Key).ToList();
    }

    /// <summary>A backup service on an empty directory, as the command line uses it: to read or restore the snapshots under <paramref name="prefix"/>.</summary>
    public static BackupService Reader(string prefix, string masterKey, string directory) =>
        new(Options(prefix), new KeyRing(Convert.FromBase64String(masterKey)), directory, Path.Combine(directory, "CompanyHub.db"), NullLogger.Instance);

    /// <summary>Writes a SQLite database holding one incompressible blob of 11 MiB (a snapshot of three 5 MiB parts).</summary>
    public static void WriteLargeDatabase(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE blobs (b BLOB); INSERT INTO blobs VALUES (randomblob(11 * 1024 * 1024));";
        command.ExecuteNonQuery();
    }

    /// <summary>Runs the <c>backups</c> command line in-process; returns its exit code, standard output and standard error.</summary>
    public static async Task<(int Code, string Output, string Error)> RunCommandAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await BackupCommand.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
