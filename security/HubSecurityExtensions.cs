using CompanyHub.Integrations.Dstack;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serverless.Functions.Security;

namespace CompanyHub.Security;

/// <summary>Registers the key ring, sealed secrets, tokens and the authorization rules (the audit log goes beside the store: <c>CompanyHubApp</c>).</summary>
public static class HubSecurityExtensions
{
    /// <summary>The value of MASTER_KEY_PREVIOUS that names the dstack guest agent's key (a move from the TEE's key to a MASTER_KEY).</summary>
    public const string DstackPrevious = "dstack";

    /// <summary>Loads the key ring (MASTER_KEY, else the dstack guest agent's key inside a TEE, else the generated key file) and registers the security services. Throws <see cref="KeyConfigurationException"/> on a bad key.</summary>
    public static KeyRing AddHubSecurity(this IServiceCollection services, IConfiguration configuration, string dataDirectory, ILogger startupLog)
    {
        TeeEnvironment tee;
        try
        {
            tee = TeeEnvironment.Find(configuration);
        }
        catch (DstackException ex)
        {
            throw new KeyConfigurationException(ex.Message);
        }

        services.AddSingleton(_ => tee);
        if (TrustedProxies.Parse(configuration[TrustedProxies.Setting]) is { } proxies)
        {
            services.AddSingleton(proxies);
        }

        IRootKeyProvider provider = configuration["MASTER_KEY"] is { Length: > 0 } configured
            ? new ConfiguredRootKeyProvider(configured)
            : tee.Agent is { } agent ? new DstackRootKeyProvider(agent)
            : new FileRootKeyProvider(dataDirectory);
        var root = provider.GetRootKeyAsync(CancellationToken.None).GetAwaiter().GetResult();
        KeyRing? previous = null;
        if (configuration["MASTER_KEY_PREVIOUS"] is { Length: > 0 } previousSetting && previousSetting.Trim() == DstackPrevious)
        {
            // Moving from the TEE's key to a MASTER_KEY (to be able to restore into another app): the old root is the
            // one the guest agent gives, which nobody holds.
            if (tee.Agent is not { } teeAgent || provider is DstackRootKeyProvider)
            {
                throw new KeyConfigurationException($"MASTER_KEY_PREVIOUS={DstackPrevious} names the dstack guest agent's key as the previous one: it needs MASTER_KEY set and the guest agent present (inside the CVM whose key it was).");
            }

            previous = new KeyRing(new DstackRootKeyProvider(teeAgent).GetRootKeyAsync(CancellationToken.None).GetAwaiter().GetResult());
        }
        else if (configuration["MASTER_KEY_PREVIOUS"] is { Length: > 0 } previousKey)
        {
            try
            {
                previous = new KeyRing(ConfiguredRootKeyProvider.Parse(previousKey));
            }
            catch (KeyConfigurationException ex)
            {
                throw new KeyConfigurationException(ex.Message.Replace("MASTER_KEY", "MASTER_KEY_PREVIOUS", StringComparison.Ordinal));
            }
        }

        var keys = new KeyRing(root) { Previous = previous };
        InheritedSealingKeys.Load(dataDirectory, keys, startupLog);
        if (previous is not null)
        {
            startupLog.LogWarning("Master key rotation: secrets sealed under the previous key (key id {PreviousKeyId}) are re-sealed under the new one (key id {KeyId}). Remove MASTER_KEY_PREVIOUS once pending invites have completed or expired.", previous.KeyId, keys.KeyId);
        }

        if (provider is FileRootKeyProvider { Created: true } file)
        {
            startupLog.LogWarning("MASTER_KEY is not set: generated a new master key in {Path} (mode 0600). Keep it safe: losing it loses every sealed secret (Google refresh tokens) and makes existing admin links invalid.", file.Path);
        }
        else if (provider is FileRootKeyProvider existing)
        {
            startupLog.LogInformation("Master key read from {Path} (key id {KeyId}).", existing.Path, keys.KeyId);
        }
        else if (provider is DstackRootKeyProvider fromTee)
        {
            startupLog.LogInformation("Master key from {Source} (key id {KeyId}); MASTER_KEY is not set.", fromTee.Source, keys.KeyId);
            if (File.Exists(Path.Combine(dataDirectory, "master.key")))
            {
                startupLog.LogWarning("{Path} is not used: the key comes from the dstack guest agent. Secrets sealed under that file's key cannot be opened; set MASTER_KEY to its content to keep using it.", Path.Combine(dataDirectory, "master.key"));
            }
        }
        else
        {
            startupLog.LogInformation("Master key from MASTER_KEY (key id {KeyId}).", keys.KeyId);
        }

        if (tee.Agent is { } present)
        {
            startupLog.LogInformation("TEE: dstack guest agent at {Endpoint}; /api/attestation answers with its quotes.", present.Endpoint.Description);
        }

        services.PostConfigure<LoggerFilterOptions>(UrlLoggingGuard.Apply);
        services.AddSingleton(keys);
        services.AddSingleton<SecretBox>();
        services.AddSingleton<TokenAuthenticator>();
        services.AddSingleton<OnboardingRequestLimiter>();
        services.AddSingleton<AttestationRequestLimiter>();
        services.AddSingleton<PersonLimits>();
        services.AddHostedService<SealedSecretRotation>();
        services.AddSingleton<IFunctionsAuthorizationHandler, HubAuthorizationHandler>();
        return keys;
    }

    /// <summary>Security headers on every response, and the token-link exchange.</summary>
    public static WebApplication UseHubSecurity(this WebApplication app)
    {
        // Behind a configured gateway the client address comes from its X-Forwarded-For (TrustedProxies); otherwise the
        // header is ignored and the address is the TCP peer.
        if (app.Services.GetService<Microsoft.AspNetCore.Builder.ForwardedHeadersOptions>() is { } proxies)
        {
            app.UseForwardedHeaders(proxies);
        }

        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers["X-Content-Type-Options"] = "nosniff";
            headers["X-Frame-Options"] = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self' https://accounts.google.com";
            await next(context);
        });
        app.UseMiddleware<TokenLinkMiddleware>();
        app.UseMiddleware<ManagementAuditMiddleware>();
        return app;
    }
}
