using System.Net;
using System.Security.Claims;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Security;
using Serverless.Host.Tests.Infrastructure;
using Serverless.Host.Tests.Sample;

namespace Serverless.Host.Tests;

public sealed class AuthorizationHandlerTests
{
    /// <summary>What the security work will plug in: a bearer token for users, refusal of everything else it sees.</summary>
    private sealed class BearerHandler : IFunctionsAuthorizationHandler
    {
        public ValueTask<FunctionsAuthorizationResult> AuthorizeAsync(FunctionsAuthorizationContext context)
        {
            var header = context.HttpContext.Request.Headers.Authorization.ToString();
            if (header == "Bearer alice-token" && context.Level == Microsoft.Azure.Functions.Worker.AuthorizationLevel.User)
            {
                return ValueTask.FromResult(FunctionsAuthorizationResult.Allow(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "alice")], "Bearer"))));
            }

            return ValueTask.FromResult(header == "Bearer revoked"
                ? FunctionsAuthorizationResult.Deny(403, "This token was revoked.")
                : FunctionsAuthorizationResult.NoResult);
        }
    }

    [Fact]
    public async Task UserLevel_RegisteredHandler_DecidesAfterTheHostKey()
    {
        await using var host = await FunctionsTestHost.StartAsync(
            [typeof(HttpSamples)],
            configure: b => b.Services.AddSingleton<IFunctionsAuthorizationHandler, BearerHandler>());

        using var alice = new HttpRequestMessage(HttpMethod.Get, "/api/me") { Headers = { { "Authorization", "Bearer alice-token" } } };
        using var revoked = new HttpRequestMessage(HttpMethod.Get, "/api/me") { Headers = { { "Authorization", "Bearer revoked" } } };
        var aliceResponse = await host.Client.SendAsync(alice);
        var revokedResponse = await host.Client.SendAsync(revoked);
        var hostKey = await host.SendAsync(HttpMethod.Get, "/api/me");
        var management = await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/runtime/webhooks/durabletask/instances") { Headers = { { "Authorization", "Bearer alice-token" } } });

        Assert.Equal("user alice", await aliceResponse.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, revokedResponse.StatusCode);
        Assert.Equal("user host", await hostKey.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, management.StatusCode);
    }
}
