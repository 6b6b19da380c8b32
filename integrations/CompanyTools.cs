using CompanyHub.Activities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CompanyHub.Integrations;

/// <summary>Registers the tools agents use. Tools whose credentials are missing answer a clear "not configured" error.</summary>
public static class CompanyTools
{
    public static IServiceCollection AddCompanyTools(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddIntegrations(configuration);
        services.TryAddTransient<GoogleCredentials>();
        services.TryAddSingleton<ToolAvailability>();
        services.TryAddTransient<ProposalPreparation>();
        services.TryAddTransient<IProposalActionRunner, ProposalActionRunner>();
        services.TryAddTransient<IReadToolRunner, ReadToolRunner>();
        services.TryAddTransient<IOnboardingMailer, GmailOnboardingMailer>();
        services.TryAddTransient<KnowledgeSync>();
        services.TryAddTransient<CompanySender>();
        // Notification channels: each one an INotificationChannel; the pipeline sends through every one registered.
        services.TryAddEnumerable(ServiceDescriptor.Transient<Orchestrations.Notifications.INotificationChannel, EmailNotificationChannel>());
        services.TryAddEnumerable(ServiceDescriptor.Transient<Orchestrations.Notifications.INotificationChannel, Telegram.TelegramNotificationChannel>());
        services.TryAddTransient<NotificationChannels>();
        return services;
    }
}
