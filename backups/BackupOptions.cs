using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace CompanyHub.Backups;

/// <summary>
/// Where and how often encrypted snapshots go: an S3-compatible bucket (AWS, Cloudflare R2, MinIO, s3rver). Read from the
/// settings <c>S3_*</c>, <c>AWS_*</c> and <c>BACKUP_*</c>; backups are off unless <c>S3_BUCKET</c> is set.
/// </summary>
public sealed class BackupOptions
{
    /// <summary>The smallest part S3 accepts in a multipart upload (all parts but the last).</summary>
    public const int MinimumPartSizeMegabytes = 5;

    public required string Bucket { get; init; }

    /// <summary>Gets the endpoint of an S3-compatible service (R2, MinIO, ...); null for AWS itself.</summary>
    public Uri? Endpoint { get; init; }

    public string Region { get; init; } = "us-east-1";

    /// <summary>Gets the key prefix of every object (e.g. <c>company-hub/</c>); empty for the bucket's root.</summary>
    public string Prefix { get; init; } = "";

    /// <summary>Gets the access key id; null to use the SDK's default credential chain (instance roles, profiles).</summary>
    public string? AccessKeyId { get; init; }

    public string? SecretAccessKey { get; init; }

    /// <summary>Gets whether the bucket goes in the path rather than the host name (MinIO, s3rver; R2 accepts both).</summary>
    public bool ForcePathStyle { get; init; }

    /// <summary>
    /// Gets whether uploads use aws-chunked bodies (the SDK's own default). Off unless set: snapshots are files, so a plain
    /// signed body costs nothing, and every S3-compatible server takes it, while some (s3rver) store aws-chunked bodies
    /// with their framing and answer 200.
    /// </summary>
    public bool UseChunkEncoding { get; init; }

    /// <summary>Gets whether checksums are computed only when an operation requires them (older S3-compatible servers).</summary>
    public bool ChecksumsOnlyWhenRequired { get; init; }

    /// <summary>Gets the size of each multipart part; snapshots up to this size go up in one request.</summary>
    public long PartSize { get; init; } = 16L * 1024 * 1024;

    /// <summary>Gets how often the schedule looks for changes (and uploads a snapshot when there are any).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets how many snapshots are kept; older ones are deleted after each upload.</summary>
    public int Retention { get; init; } = 48;

    /// <summary>Gets whether a hub whose store is missing restores the newest good snapshot at start-up.</summary>
    public bool RestoreOnStart { get; init; } = true;

    /// <summary>Gets the key prefix under which snapshots live.</summary>
    public string SnapshotPrefix => Prefix + "snapshots/";

    /// <summary>Gets a description for logs and the admin API (no credentials).</summary>
    public string Describe() => $"s3://{Bucket}/{Prefix}" + (Endpoint is null ? $" (AWS {Region})" : $" at {Endpoint.GetLeftPart(UriPartial.Authority)}");

    /// <summary>Reads the settings; null when <c>S3_BUCKET</c> is not set. Throws <see cref="BackupConfigurationException"/> on a bad value.</summary>
    public static BackupOptions? Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration["S3_BUCKET"] is not { Length: > 0 } bucket)
        {
            return null;
        }

        Uri? endpoint = null;
        if (configuration["S3_ENDPOINT"] is { Length: > 0 } endpointText)
        {
            if (!Uri.TryCreate(endpointText, UriKind.Absolute, out endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
            {
                throw new BackupConfigurationException($"S3_ENDPOINT must be an absolute http(s) URL, e.g. https://<account>.r2.cloudflarestorage.com (got '{endpointText}').");
            }
        }

        var prefix = (configuration["S3_PREFIX"] ?? "").Trim().TrimStart('/');
        if (prefix.Length > 0 && !prefix.EndsWith('/'))
        {
            prefix += "/";
        }

        var accessKey = configuration["AWS_ACCESS_KEY_ID"] is { Length: > 0 } id ? id : null;
        var secret = configuration["AWS_SECRET_ACCESS_KEY"] is { Length: > 0 } s ? s : null;
        if ((accessKey is null) != (secret is null))
        {
            throw new BackupConfigurationException("Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (to use the default AWS credential chain).");
        }

        var checksums = (configuration["S3_CHECKSUMS"] ?? "when_supported").Trim().ToLowerInvariant() switch
        {
            "when_supported" or "" => false,
            "when_required" => true,
            var other => throw new BackupConfigurationException($"S3_CHECKSUMS must be when_supported (the default) or when_required (got '{other}')."),
        };

        return new BackupOptions
        {
            Bucket = bucket.Trim(),
            Endpoint = endpoint,
            Region = configuration["S3_REGION"] is { Length: > 0 } region ? region.Trim() : "us-east-1",
            Prefix = prefix,
            AccessKeyId = accessKey,
            SecretAccessKey = secret,
            ForcePathStyle = Flag(configuration, "S3_FORCE_PATH_STYLE", endpoint is not null),
            UseChunkEncoding = Flag(configuration, "S3_CHUNK_ENCODING", false),
            ChecksumsOnlyWhenRequired = checksums,
            PartSize = Number(configuration, "S3_PART_SIZE_MB", 16, MinimumPartSizeMegabytes, 5 * 1024) * 1024L * 1024,
            Interval = TimeSpan.FromSeconds(Number(configuration, "BACKUP_INTERVAL_SECONDS", 60, 1, 7 * 24 * 3600)),
            Retention = Number(configuration, "BACKUP_RETENTION", 48, 1, 100_000),
            RestoreOnStart = Flag(configuration, "BACKUP_RESTORE_ON_START", true),
        };
    }

    private static bool Flag(IConfiguration configuration, string name, bool fallback) => configuration[name]?.Trim().ToLowerInvariant() switch
    {
        null or "" => fallback,
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        var other => throw new BackupConfigurationException($"{name} must be true or false (got '{other}')."),
    };

    private static int Number(IConfiguration configuration, string name, int fallback, int min, int max)
    {
        var text = configuration[name];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new BackupConfigurationException($"{name} must be a whole number from {min} to {max} (got '{text}').");
    }
}

/// <summary>A backup setting is wrong; start-up stops with this message.</summary>
public sealed class BackupConfigurationException(string message) : Exception(message);
