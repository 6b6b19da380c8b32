using System.Net;
using CompanyHub.Integrations.Google;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Serverless.Functions;

namespace CompanyHub.Functions;

/// <summary>
/// Whether the development sign-in (an invite completed by typing its email, for a hub without Google credentials) is
/// offered. It trusts whoever reaches the hub, so by default it is on only while the hub listens on loopback alone (a
/// newcomer's <c>dotnet run</c>); beyond loopback it needs <c>Auth:DevSignIn=true</c>, and then self-service requests
/// wait for the admin's approval instead of handing out invite links. <c>Auth:DevSignIn=false</c> switches it off.
/// </summary>
public sealed class DevSignIn(IConfiguration configuration, IGoogleOAuthClient google, IServer server)
{
    public const string Setting = "Auth:DevSignIn";

    /// <summary>Gets whether the development sign-in is offered now.</summary>
    public bool Enabled => Current().Enabled;

    /// <summary>Gets whether it is offered to more than this machine (forced on while the hub listens beyond loopback).</summary>
    public bool BeyondLoopback => Current().BeyondLoopback;

    /// <summary>Reads the setting strictly: unset (null) lets the listening addresses decide; anything but true/false is refused.</summary>
    /// <exception cref="FunctionsConfigurationException">The value is not a boolean.</exception>
    public static bool? Parse(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null
        : bool.TryParse(value.Trim(), out var parsed) ? parsed
        : throw new FunctionsConfigurationException(Setting, $"'{value}' is not true or false (Auth__DevSignIn=true offers the development sign-in beyond loopback; false switches it off).");

    /// <summary>The rule: never with Google configured; as set when set; otherwise only on loopback.</summary>
    public static (bool Enabled, string Why) Decide(bool? setting, bool googleConfigured, bool loopbackOnly) =>
        googleConfigured ? (false, "Google sign-in is configured")
        : setting is { } forced ? (forced, forced ? $"{Setting}=true" : $"{Setting}=false")
        : loopbackOnly ? (true, "Google is not configured and the hub listens on loopback only")
        : (false, $"the hub listens beyond loopback; set {Setting}=true to offer it anyway");

    /// <summary>Whether every address is a loopback one (127.0.0.0/8, ::1, localhost); none known counts as not.</summary>
    public static bool LoopbackOnly(IReadOnlyCollection<string> addresses) =>
        addresses.Count > 0 && addresses.All(a =>
            Uri.TryCreate(a.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
            && (uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip))));

    /// <summary>
    /// The decision with the addresses the server listens on now (read once per call): whether it is offered, whether
    /// beyond loopback, why, and the line saying so (printed at start-up; the admin's health report carries all four).
    /// </summary>
    public DevSignInStatus Current()
    {
        var loopbackOnly = LoopbackOnly(Addresses());
        var (enabled, why) = Decide(Parse(configuration[Setting]), google.IsConfigured, loopbackOnly);
        var beyondLoopback = enabled && !loopbackOnly;
        return new DevSignInStatus(enabled, beyondLoopback, why,
            !enabled ? $"Development sign-in: off ({why})."
            : beyondLoopback ? $"Development sign-in: ON BEYOND LOOPBACK ({why}) — anyone who reaches this hub can complete an invite by typing its email; self-service requests wait for the admin's approval."
            : $"Development sign-in: on ({why}).");
    }

    private string[] Addresses() => [.. server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []];
}

/// <summary>Whether the development sign-in is offered (<see cref="DevSignIn.Current"/>).</summary>
/// <param name="Enabled">Whether it is offered now.</param>
/// <param name="BeyondLoopback">Whether it is offered to more than this machine: anyone who reaches the hub can complete an invite.</param>
/// <param name="Why">Why it is on or off.</param>
/// <param name="Description">The start-up line saying so.</param>
public sealed record DevSignInStatus(bool Enabled, bool BeyondLoopback, string Why, string Description);
