using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Serverless.Functions;

namespace CompanyHub.Security;

/// <summary>
/// <c>TRUSTED_PROXIES</c>: the gateways (addresses or networks, comma-separated) whose <c>X-Forwarded-For</c> names the
/// client. Only a request whose TCP peer is one of them gets its client address from the header — the address that
/// failed sign-ins are counted against, that rate limits and the audit log see. Unset, the header is never read.
/// </summary>
public static class TrustedProxies
{
    public const string Setting = "TRUSTED_PROXIES";

    /// <summary>Reads the setting; null when unset.</summary>
    /// <exception cref="FunctionsConfigurationException">An entry is neither an IP address nor a network (<c>10.0.0.0/8</c>).</exception>
    public static ForwardedHeadersOptions? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        // One gateway appends the client's address: the last entry of the header is the one it vouches for.
        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor, ForwardLimit = 1 };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var entry in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (entry.Contains('/', StringComparison.Ordinal) && System.Net.IPNetwork.TryParse(entry, out var network))
            {
                options.KnownIPNetworks.Add(network);
            }
            else if (IPAddress.TryParse(entry, out var address))
            {
                options.KnownProxies.Add(address);
            }
            else
            {
                throw new FunctionsConfigurationException(Setting, $"'{entry}' is not an IP address or a network such as 10.0.0.0/8 (comma-separated list of the gateways in front of the hub).");
            }
        }

        return options;
    }
}
