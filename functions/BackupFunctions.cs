using CompanyHub.Backups;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace CompanyHub.Functions;

/// <summary>The admin's view of encrypted backups, a backup on demand, and a new recovery key.</summary>
public sealed class BackupFunctions(BackupService backups, RecoveryKeyFile recovery, IAuditLog audit)
{
    private const string NotConfigured = "Backups are not configured: set S3_BUCKET (and S3_ENDPOINT, S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), then restart the hub.";

    [Function("AdminBackups")]
    public IResult AdminBackups([HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin/backups")] HttpRequest req) =>
        Results.Ok(backups.Status());

    [Function("AdminBackupNow")]
    public async Task<IResult> AdminBackupNow(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "admin/backups")] HttpRequest req, CancellationToken cancellationToken)
    {
        if (!backups.Enabled)
        {
            return Problems.Conflict(NotConfigured);
        }

        if (recovery.Current is null)
        {
            return Problems.Conflict(BackupService.NoRecoveryKey);
        }

        BackupResult result;
        try
        {
            result = (await backups.BackupAsync("on-demand", force: true, cancellationToken))!;
        }
        catch (BackupFailedException ex)
        {
            await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "admin", "backup.created", null, null, ex.Message, TokenAuthenticator.AddressOf(req.HttpContext), "failed"), cancellationToken);
            return Results.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Backup failed", detail: ex.Message);
        }

        await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "admin", "backup.created", null, result.Id, $"{result.Size} bytes, {result.Files.Count} databases", TokenAuthenticator.AddressOf(req.HttpContext), "ok"), cancellationToken);
        return Results.Ok(new
        {
            id = result.Id,
            createdAt = result.CreatedAt,
            size = result.Size,
            parts = result.Parts,
            sha256 = result.Sha256,
            files = result.Files.Select(f => new { name = f.Name, role = f.Role, size = f.Size, sha256 = f.Sha256 }),
            deleted = result.Deleted,
        });
    }

    /// <summary>
    /// Replaces the recovery key: the new one is in this answer only (never stored, never logged); snapshots from now on
    /// are wrapped to it. Those made before still need the key they were made for.
    /// </summary>
    [Function("AdminRotateRecoveryKey")]
    public async Task<IResult> AdminRotateRecoveryKey(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "admin/backups/recovery-key")] HttpRequest req, CancellationToken cancellationToken)
    {
        if (!backups.Enabled)
        {
            return Problems.Conflict(NotConfigured);
        }

        var (created, replaced) = recovery.Rotate(DateTimeOffset.UtcNow);
        var id = created.PublicKey.KeyId;
        await audit.AppendAsync(new AuditRecord(created.PublicKey.CreatedAt, "admin", "recovery.rotated", null, id,
            $"recovery key {replaced?.KeyId ?? "(none)"} → {id}; snapshots made before still need the key they were made for", TokenAuthenticator.AddressOf(req.HttpContext), "ok"), cancellationToken);
        req.HttpContext.Response.Headers.CacheControl = "no-store";
        return Results.Ok(new
        {
            recoveryKey = created.Text,
            keyId = id,
            createdAt = created.PublicKey.CreatedAt,
            replacedKeyId = replaced?.KeyId,
            note = "Shown this once: keep it offline. Snapshots from now on need this key; those made before need the key they were made for.",
        });
    }
}
