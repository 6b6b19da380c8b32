using CompanyHub.Backups;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace CompanyHub.Functions;

/// <summary>The admin's view of encrypted backups, and a backup on demand.</summary>
public sealed class BackupFunctions(BackupService backups, IAuditLog audit)
{
    [Function("AdminBackups")]
    public IResult AdminBackups([HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin/backups")] HttpRequest req) =>
        Results.Ok(backups.Status());

    [Function("AdminBackupNow")]
    public async Task<IResult> AdminBackupNow(
        [HttpTrigger(AuthorizationLevel.Admin, "post", Route = "admin/backups")] HttpRequest req, CancellationToken cancellationToken)
    {
        if (!backups.Enabled)
        {
            return Problems.Conflict("Backups are not configured: set S3_BUCKET (and S3_ENDPOINT, S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), then restart the hub.");
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
}
