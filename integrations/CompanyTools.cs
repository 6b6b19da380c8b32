using System.Text.Json.Nodes;
using CompanyHub.Activities;
using CompanyHub.Orchestrations.Approvals;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CompanyHub.Integrations;

/// <summary>Registers the tools agents use. Tools whose credentials are missing answer a clear "not configured" error.</summary>
public static class CompanyTools
{
    public static IServiceCollection AddCompanyTools(this IServiceCollection services, IConfiguration configuration)
    {
        _ = configuration;
        services.TryAddSingleton<IProposalActionRunner, UnavailableTools>();
        services.TryAddSingleton<IReadToolRunner, UnavailableTools>();
        services.TryAddSingleton<IOnboardingMailer, UnavailableTools>();
        return services;
    }

    private sealed class UnavailableTools : IProposalActionRunner, IReadToolRunner, IOnboardingMailer
    {
        public Task<ActionResult> RunAsync(ActionRequest request, CancellationToken cancellationToken) =>
            Task.FromResult(new ActionResult(false, Error: $"{request.Type} is not available in this build."));

        public Task<string> RunAsync(string agentId, string tool, JsonObject arguments, CancellationToken cancellationToken) =>
            Task.FromResult($"{tool} is not available in this build.");

        public Task<string?> SendInviteAsync(string email, string name, string inviteLink, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
            Task.FromResult<string?>("no email sender is available in this build");

        public Task<string?> SendReadyAsync(string email, string name, string dashboardLink, CancellationToken cancellationToken) =>
            Task.FromResult<string?>("no email sender is available in this build");
    }
}
