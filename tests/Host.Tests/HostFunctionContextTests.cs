using System.Collections.Immutable;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions;
using Serverless.Functions.Invocation;

namespace Serverless.Host.Tests;

/// <summary>Microsoft's FunctionContext extension methods work on the host's context.</summary>
public sealed class HostFunctionContextTests
{
    [Fact]
    public async Task MicrosoftExtensions_GetHttpContextAndGetLogger_WorkOnTheHostContext()
    {
        await using var services = new ServiceCollection().AddLogging().BuildServiceProvider();
        var http = new DefaultHttpContext();
        http.Request.QueryString = new QueryString("?name=amy");
        var definition = new HostFunctionDefinition("Hello", "Sample.Hello.Run", FunctionTriggerType.Http, "sample.dll", ImmutableArray<FunctionParameter>.Empty, "req");
        FunctionContext context = new HostFunctionContext(definition, "inv-1", services, CancellationToken.None, http);

        Assert.Same(http, context.GetHttpContext());
        Assert.NotNull(context.GetLogger("Sample"));
        Assert.NotNull(context.GetLogger<HostFunctionContextTests>());
        Assert.Equal(("inv-1", "hello", "Hello"), (context.InvocationId, context.FunctionId, context.FunctionDefinition.Name));
        Assert.Equal("httpTrigger", context.FunctionDefinition.InputBindings["req"].Type);
        Assert.Equal("amy", context.BindingContext.BindingData["name"]);
        Assert.Null(context.RetryContext);
    }
}
