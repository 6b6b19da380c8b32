using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Serverless.Functions.Hosting;
using Serverless.Functions.Security;

namespace Serverless.Functions.Management;

/// <summary>
/// Builds the management URLs of an instance. The base is <c>PUBLIC_BASE_URL</c> when set, else the request's scheme
/// and host. The host key is added as <c>code=</c> only when the request itself was authorized with the host key,
/// so an anonymous starter never hands the key out.
/// </summary>
internal sealed class ManagementUrls(FunctionsHostEnvironment environment, HostKeys keys, IConfiguration configuration)
{
    public const string BasePath = "/runtime/webhooks/durabletask";

    public InstanceManagementUrls Create(HttpRequest request, string instanceId, bool returnInternalServerErrorOnFailure = false)
    {
        ArgumentNullException.ThrowIfNull(request);
        var baseUrl = BaseUrl(request) + BasePath;
        var instance = $"{baseUrl}/instances/{Uri.EscapeDataString(instanceId)}";
        var query = $"taskHub={WebUtility.UrlEncode(environment.HubName)}&connection={WebUtility.UrlEncode(environment.ConnectionName)}";
        if (request.HttpContext.Features.Get<IFunctionsAuthorizationFeature>()?.IsHostKey == true)
        {
            query += $"&code={WebUtility.UrlEncode(keys.AdminKey)}";
        }

        var status = $"{instance}?{query}";
        if (returnInternalServerErrorOnFailure)
        {
            status += "&returnInternalServerErrorOnFailure=true";
        }

        return new InstanceManagementUrls
        {
            Id = instanceId,
            StatusQueryGetUri = status,
            SendEventPostUri = $"{instance}/raiseEvent/{{eventName}}?{query}",
            TerminatePostUri = $"{instance}/terminate?reason={{text}}&{query}",
            PurgeHistoryDeleteUri = $"{instance}?{query}",
            RestartPostUri = $"{instance}/restart?{query}",
            SuspendPostUri = $"{instance}/suspend?reason={{text}}&{query}",
            ResumePostUri = $"{instance}/resume?reason={{text}}&{query}",
        };
    }

    private string BaseUrl(HttpRequest request)
    {
        if (configuration["PUBLIC_BASE_URL"] is { Length: > 0 } configured)
        {
            return configured.TrimEnd('/');
        }

        return $"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase.ToUriComponent()}";
    }
}
