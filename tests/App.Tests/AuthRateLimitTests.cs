using System.Net;
using CompanyHub.Security;

namespace CompanyHub.Tests;

/// <summary>
/// The failure limits are static settings read when an address is first seen; tests that lower them run alone, so that
/// no other test's hub picks up the low limit.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AuthLimitsCollection
{
    public const string Name = "Authentication limits";
}

/// <summary>Failed authentications are rate-limited per client address.</summary>
[Collection(AuthLimitsCollection.Name)]
public sealed class AuthRateLimitTests
{
    [Fact]
    public async Task BadTokens_AfterMaxFailures_Answer429WithRetryAfter_WhileValidTokensStillPass()
    {
        var (maxFailures, window) = (TokenAuthenticator.MaxFailures, TokenAuthenticator.FailureWindow);
        TokenAuthenticator.MaxFailures = 3;
        TokenAuthenticator.FailureWindow = TimeSpan.FromSeconds(90);
        try
        {
            await using var hub = await HubServer.StartAsync();
            using var admin = hub.Http(hub.AdminToken);
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/me")).StatusCode);

            using var guesser = hub.Http("guessed-token-guessed-token-0000");
            for (var i = 0; i < TokenAuthenticator.MaxFailures; i++)
            {
                await HubFlows.AssertProblemAsync(await guesser.GetAsync("/api/me"), HttpStatusCode.Unauthorized);
            }

            using var limited = await guesser.GetAsync("/api/me");
            var detail = await HubFlows.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests);
            Assert.Contains("Too many failed", detail, StringComparison.Ordinal);
            Assert.Equal(TimeSpan.FromSeconds(90), limited.Headers.RetryAfter?.Delta);

            // Failures are throttled, not the address: behind a gateway everybody shares it, so the admin and a valid
            // link still get in, while a wrong link from it is refused.
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/me")).StatusCode);
            using var browser = hub.Http();
            using var link = await browser.GetAsync($"/?token={hub.AdminToken}");
            Assert.Equal(HttpStatusCode.SeeOther, link.StatusCode);
            Assert.True(link.Headers.Contains("Set-Cookie"));
            using var wrongLink = await browser.GetAsync("/?token=guessed-token-guessed-token-0001");
            Assert.Equal(HttpStatusCode.TooManyRequests, wrongLink.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(90), wrongLink.Headers.RetryAfter?.Delta);
            Assert.False(wrongLink.Headers.Contains("Set-Cookie"));
            await HubFlows.AssertProblemAsync(await guesser.GetAsync("/api/me"), HttpStatusCode.TooManyRequests);
        }
        finally
        {
            TokenAuthenticator.MaxFailures = maxFailures;
            TokenAuthenticator.FailureWindow = window;
        }
    }

    [Theory]
    [InlineData(null, HttpStatusCode.TooManyRequests)]
    [InlineData("127.0.0.1", HttpStatusCode.Unauthorized)]
    [InlineData("10.9.0.0/16, 127.0.0.0/8", HttpStatusCode.Unauthorized)]
    public async Task FailuresCount_PerForwardedClient_OnlyBehindATrustedProxy(string? trusted, HttpStatusCode otherClient)
    {
        var maxFailures = TokenAuthenticator.MaxFailures;
        TokenAuthenticator.MaxFailures = 2;
        try
        {
            await using var hub = await HubServer.StartAsync([new(TrustedProxies.Setting, trusted)]);
            async Task<HttpStatusCode> GuessAsync(string client)
            {
                using var guesser = hub.Http("guessed-token-guessed-token-0000");
                guesser.DefaultRequestHeaders.Add("X-Forwarded-For", client);
                using var response = await guesser.GetAsync("/api/me");
                return response.StatusCode;
            }

            for (var i = 0; i < 2; i++)
            {
                Assert.Equal(HttpStatusCode.Unauthorized, await GuessAsync("203.0.113.5"));
            }

            // The guessing client is limited; another client behind the same gateway is limited only when the header is
            // not trusted (then both are the gateway's address).
            Assert.Equal(HttpStatusCode.TooManyRequests, await GuessAsync("203.0.113.5"));
            Assert.Equal(otherClient, await GuessAsync("203.0.113.6"));
        }
        finally
        {
            TokenAuthenticator.MaxFailures = maxFailures;
        }
    }

    [Theory]
    [InlineData("gateway")]
    [InlineData("10.0.0.0/99")]
    public async Task TrustedProxies_NotAnAddressOrNetwork_StopsTheStart(string value)
    {
        var error = await Assert.ThrowsAsync<Serverless.Functions.FunctionsConfigurationException>(() => HubServer.StartAsync([new(TrustedProxies.Setting, value)]));
        Assert.Contains(TrustedProxies.Setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadTokensAtConnectSender_CountAsFailures()
    {
        var maxFailures = TokenAuthenticator.MaxFailures;
        TokenAuthenticator.MaxFailures = 2;
        try
        {
            await using var hub = await HubServer.StartAsync();
            using var guesser = hub.Http("guessed-token-guessed-token-0000");
            for (var i = 0; i < 2; i++)
            {
                Assert.Equal(HttpStatusCode.NotFound, (await guesser.GetAsync("/oauth/google/connect-sender")).StatusCode);
            }

            using var limited = await guesser.GetAsync("/oauth/google/connect-sender");
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.NotNull(limited.Headers.RetryAfter);
            using var admin = hub.Http(hub.AdminToken);
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/me")).StatusCode);
            await HubFlows.AssertProblemAsync(await guesser.GetAsync("/api/me"), HttpStatusCode.TooManyRequests);
        }
        finally
        {
            TokenAuthenticator.MaxFailures = maxFailures;
        }
    }

    [Fact]
    public async Task BadTokenLinks_CountAsFailures()
    {
        var maxFailures = TokenAuthenticator.MaxFailures;
        TokenAuthenticator.MaxFailures = 2;
        try
        {
            await using var hub = await HubServer.StartAsync();
            using var browser = hub.Http();
            for (var i = 0; i < 2; i++)
            {
                Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync($"/?token=wrong{i}")).StatusCode);
            }

            Assert.Equal(HttpStatusCode.TooManyRequests, (await browser.GetAsync("/?token=wrong")).StatusCode);
            using var api = hub.Http(hub.AdminToken);
            Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/me")).StatusCode);
            using var guesser = hub.Http("guessed-token-guessed-token-0000");
            await HubFlows.AssertProblemAsync(await guesser.GetAsync("/api/me"), HttpStatusCode.TooManyRequests);
        }
        finally
        {
            TokenAuthenticator.MaxFailures = maxFailures;
        }
    }
}
