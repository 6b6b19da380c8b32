using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Serverless.DurableTask;

namespace CompanyHub.Backups;

/// <summary>An object in the bucket: its key, size and the time the bucket says it was written.</summary>
public sealed record BucketObject(string Key, long Size, DateTimeOffset LastModified);

/// <summary>The snapshot objects in an S3-compatible bucket: list, upload (multipart when large), read, delete.</summary>
public sealed class SnapshotBucket : IDisposable
{
    private readonly BackupOptions _options;
    private readonly AmazonS3Client _client;

    public SnapshotBucket(BackupOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            Timeout = TimeSpan.FromSeconds(60),
            MaxErrorRetry = 2,
        };
        if (options.Endpoint is not null)
        {
            config.ServiceURL = options.Endpoint.ToString();
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }

        if (options.ChecksumsOnlyWhenRequired)
        {
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }

        _client = options.AccessKeyId is not null
            ? new AmazonS3Client(new BasicAWSCredentials(options.AccessKeyId, options.SecretAccessKey), config)
            : new AmazonS3Client(config);
    }

    /// <summary>Lists every snapshot object, newest first (by the bucket's write time).</summary>
    public async Task<IReadOnlyList<BucketObject>> ListAsync(CancellationToken cancellationToken)
    {
        var objects = new List<BucketObject>();
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = _options.SnapshotPrefix };
        ListObjectsV2Response response;
        do
        {
            response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            foreach (var item in response.S3Objects ?? [])
            {
                objects.Add(new BucketObject(item.Key, item.Size ?? 0, item.LastModified is { } modified ? new DateTimeOffset(modified.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.MinValue));
            }

            request.ContinuationToken = response.NextContinuationToken;
        }
        while (response.IsTruncated == true && !string.IsNullOrEmpty(response.NextContinuationToken));

        return objects.OrderByDescending(o => o.LastModified).ToList();
    }

    /// <summary>
    /// Uploads a file under <paramref name="key"/>: one request up to the part size, else a multipart upload (aborted on
    /// failure, so no orphan parts stay billed). The crash point <c>backup.upload</c> is reached before the object is complete.
    /// </summary>
    public async Task<int> UploadAsync(string path, string key, CancellationToken cancellationToken)
    {
        var length = new FileInfo(path).Length;
        if (length <= _options.PartSize)
        {
            CrashPoints.Reach(CrashPoints.DuringSnapshotUpload);
            await _client.PutObjectAsync(new PutObjectRequest { BucketName = _options.Bucket, Key = key, FilePath = path, UseChunkEncoding = _options.UseChunkEncoding }, cancellationToken).ConfigureAwait(false);
            return 1;
        }

        var upload = await _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _options.Bucket, Key = key }, cancellationToken).ConfigureAwait(false);
        try
        {
            var parts = new List<PartETag>();
            for (long position = 0; position < length; position += _options.PartSize)
            {
                var part = await _client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = _options.Bucket,
                    Key = key,
                    UploadId = upload.UploadId,
                    PartNumber = parts.Count + 1,
                    FilePath = path,
                    FilePosition = position,
                    PartSize = Math.Min(_options.PartSize, length - position),
                    UseChunkEncoding = _options.UseChunkEncoding,
                }, cancellationToken).ConfigureAwait(false);
                parts.Add(new PartETag(parts.Count + 1, part.ETag));
                CrashPoints.Reach(CrashPoints.DuringSnapshotUpload);
            }

            await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = _options.Bucket, Key = key, UploadId = upload.UploadId, PartETags = parts }, cancellationToken).ConfigureAwait(false);
            return parts.Count;
        }
        catch
        {
            try
            {
                await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = key, UploadId = upload.UploadId }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException)
            {
                // The upload failed already; the bucket's lifecycle rules clean up what the abort could not.
            }

            throw;
        }
    }

    /// <summary>Reads the first <paramref name="count"/> bytes of an object (fewer when it is shorter).</summary>
    public async Task<byte[]> ReadStartAsync(string key, int count, CancellationToken cancellationToken)
    {
        using var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _options.Bucket, Key = key, ByteRange = new ByteRange(0, count - 1) }, cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);

        // A server that ignores Range sends the whole object: keep only what was asked for.
        return buffer.Length > count ? buffer.GetBuffer().AsSpan(0, count).ToArray() : buffer.ToArray();
    }

    /// <summary>
    /// Reads an object back as a restore would and hashes it on the way (streamed: memory stays small whatever its size).
    /// Returns the number of bytes the bucket sent and their SHA-256 (lower-case hex).
    /// </summary>
    public async Task<(long Size, string Sha256)> ReadBackAsync(string key, CancellationToken cancellationToken)
    {
        using var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _options.Bucket, Key = key }, cancellationToken).ConfigureAwait(false);
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long size = 0;
        int read;
        while ((read = await response.ResponseStream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            sha256.AppendData(buffer, 0, read);
            size += read;
        }

        return (size, Convert.ToHexStringLower(sha256.GetHashAndReset()));
    }

    /// <summary>Downloads an object into a file.</summary>
    public async Task DownloadAsync(string key, string path, CancellationToken cancellationToken)
    {
        using var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _options.Bucket, Key = key }, cancellationToken).ConfigureAwait(false);
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await response.ResponseStream.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = key }, cancellationToken).ConfigureAwait(false);

    /// <summary>Explains an error of the bucket in one line, without credentials.</summary>
    public static string Explain(Exception exception) => exception switch
    {
        AmazonS3Exception { StatusCode: HttpStatusCode.NotFound, ErrorCode: "NoSuchBucket" } => "the bucket does not exist.",
        AmazonS3Exception { StatusCode: HttpStatusCode.Forbidden } s3 => $"access denied ({s3.ErrorCode}): check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket's policy.",
        AmazonServiceException service when service.InnerException is HttpRequestException or System.Net.Sockets.SocketException or IOException =>
            $"the bucket is unreachable: {service.InnerException.Message}",
        AmazonServiceException service => $"{(int)service.StatusCode} {service.ErrorCode}: {service.Message}",
        HttpRequestException or System.Net.Sockets.SocketException or IOException => $"the bucket is unreachable: {exception.Message}",
        TaskCanceledException or TimeoutException => "the bucket did not answer in time.",
        _ => exception.Message,
    };

    public void Dispose() => _client.Dispose();
}
