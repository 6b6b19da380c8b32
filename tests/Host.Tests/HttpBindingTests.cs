using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.Host.Tests.Infrastructure;

namespace Serverless.Host.Tests;

public sealed class HttpBindingTests(SampleHostFixture fixture) : IClassFixture<SampleHostFixture>
{
    private FunctionsTestHost Host => fixture.Host;

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static string[] Errors(JsonElement problem, string field) =>
        problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()!).ToArray();

    [Fact]
    public async Task Greet_InstanceFunctionWithInjectedService_ReturnsText()
    {
        var response = await Host.Client.GetAsync("/api/greet/Ada");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Hello, Ada.", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task GetOrder_RouteAndQueryValues_BoundAndConverted()
    {
        var body = await Host.Client.GetFromJsonAsync<JsonElement>("/api/orders/42?verbose=true&page=3");

        Assert.Equal(42, body.GetProperty("id").GetInt32());
        Assert.True(body.GetProperty("verbose").GetBoolean());
        Assert.Equal(3, body.GetProperty("page").GetInt32());
    }

    [Fact]
    public async Task GetOrder_OptionalQueryValuesMissing_UseDefaults()
    {
        var body = await Host.Client.GetFromJsonAsync<JsonElement>("/api/orders/7");

        Assert.False(body.GetProperty("verbose").GetBoolean());
        Assert.Equal(1, body.GetProperty("page").GetInt32());
    }

    [Fact]
    public async Task GetOrder_QueryValueNotANumber_Gives400NamingTheField()
    {
        var problem = await ProblemAsync(await Host.Client.GetAsync("/api/orders/7?page=abc"), HttpStatusCode.BadRequest);

        Assert.Equal(["'abc' is not a valid Int32."], Errors(problem, "page"));
    }

    [Fact]
    public async Task GetItem_RouteValueNotAGuid_Gives400NamingTheField()
    {
        var problem = await ProblemAsync(await Host.Client.GetAsync("/api/items/not-a-guid"), HttpStatusCode.BadRequest);

        Assert.Equal(["'not-a-guid' is not a valid Guid."], Errors(problem, "id"));
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task GetItem_Guid_ReturnsIResult()
    {
        var id = Guid.NewGuid();

        var body = await Host.Client.GetFromJsonAsync<JsonElement>($"/api/items/{id}");

        Assert.Equal(id, body.GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task GetOrder_RouteConstraintNotMet_Gives404()
    {
        var response = await Host.Client.GetAsync("/api/orders/abc");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Search_RequiredQueryMissingAndBadEnum_Gives400ForEachField()
    {
        var problem = await ProblemAsync(await Host.Client.GetAsync("/api/search?color=purple"), HttpStatusCode.BadRequest);

        Assert.Equal(["The query parameter 'q' is required."], Errors(problem, "q"));
        Assert.Equal(["'purple' is not a valid Color."], Errors(problem, "color"));
    }

    [Fact]
    public async Task Search_ValueReturned_IsJson()
    {
        var body = await Host.Client.GetFromJsonAsync<JsonElement>("/api/search?Q=cats&color=green");

        Assert.Equal("cats", body.GetProperty("q").GetString());
        Assert.Equal("Green", body.GetProperty("color").GetString());
    }

    [Fact]
    public async Task CreateUser_ValidBody_BindsAndReturns201()
    {
        var response = await Host.SendAsync(HttpMethod.Post, "/api/users", """{ "email": "a@b.c", "age": 30, "address": { "street": "Main", "zip": 12345 } }""", admin: false);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/api/users/a@b.c", response.Headers.Location?.OriginalString);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(12345, body.GetProperty("address").GetProperty("zip").GetInt32());
    }

    [Fact]
    public async Task CreateUser_RequiredPropertyMissing_Gives400NamingTheField()
    {
        var problem = await ProblemAsync(await Host.SendAsync(HttpMethod.Post, "/api/users", """{ "age": 30 }""", admin: false), HttpStatusCode.BadRequest);

        Assert.Equal(["The email field is required."], Errors(problem, "email"));
        Assert.Contains("CreateUser", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateUser_WrongTypeInNestedField_Gives400WithJsonPath()
    {
        var problem = await ProblemAsync(await Host.SendAsync(HttpMethod.Post, "/api/users", """{ "email": "a@b.c", "address": { "street": "Main", "zip": "twelve" } }""", admin: false), HttpStatusCode.BadRequest);

        var message = Assert.Single(Errors(problem, "address.zip"));
        Assert.Contains("could not be converted", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateUser_DataAnnotationsViolated_Gives400PerField()
    {
        var problem = await ProblemAsync(await Host.SendAsync(HttpMethod.Post, "/api/users", """{ "email": "a@b.c", "age": 7, "nickname": "a-very-long-nickname-indeed" }""", admin: false), HttpStatusCode.BadRequest);

        Assert.Single(Errors(problem, "age"));
        Assert.Single(Errors(problem, "nickname"));
    }

    [Fact]
    public async Task CreateUser_MalformedJson_Gives400ForTheBody()
    {
        var problem = await ProblemAsync(await Host.SendAsync(HttpMethod.Post, "/api/users", """{ "email": """, admin: false), HttpStatusCode.BadRequest);

        Assert.StartsWith("The body is not valid JSON (line 1", Assert.Single(Errors(problem, "body")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateUser_NoBody_Gives400BodyRequired()
    {
        var problem = await ProblemAsync(await Host.SendAsync(HttpMethod.Post, "/api/users", admin: false), HttpStatusCode.BadRequest);

        Assert.StartsWith("A JSON body is required", Assert.Single(Errors(problem, "body")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateUser_NotJsonContentType_Gives415()
    {
        var problem = await ProblemAsync(await Host.SendAsync(HttpMethod.Post, "/api/users", "email=a", admin: false, contentType: "application/x-www-form-urlencoded"), HttpStatusCode.UnsupportedMediaType);

        Assert.Contains("Content-Type: application/json", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Note_OptionalBodyMissingOrPresent_Binds()
    {
        var empty = await Host.SendAsync(HttpMethod.Post, "/api/notes", admin: false);
        var present = await Host.SendAsync(HttpMethod.Post, "/api/notes", """{ "text": "hi" }""", admin: false);

        Assert.Equal("no note", await empty.Content.ReadAsStringAsync());
        Assert.Equal("note: hi", await present.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Nothing_VoidFunction_Gives204()
    {
        var response = await Host.SendAsync(HttpMethod.Delete, "/api/nothing", admin: false);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task Nothing_MethodNotAccepted_Gives405()
    {
        var response = await Host.Client.GetAsync("/api/nothing");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task Any_NoMethodsDeclared_AcceptsEveryMethod()
    {
        var put = await Host.SendAsync(HttpMethod.Put, "/api/Any", "{}", admin: false);
        var patch = await Host.SendAsync(HttpMethod.Patch, "/api/any", "{}", admin: false);

        Assert.Equal("PUT", await put.Content.ReadAsStringAsync());
        Assert.Equal("PATCH", await patch.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Boom_FunctionThrows_Gives500WithoutTheExceptionMessage()
    {
        var problem = await ProblemAsync(await Host.Client.GetAsync("/api/boom"), HttpStatusCode.InternalServerError);

        Assert.Equal("Function 'Boom' failed", problem.GetProperty("title").GetString());
        Assert.DoesNotContain("secret detail", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secret_FunctionLevelWithoutKey_Gives401()
    {
        var problem = await ProblemAsync(await Host.Client.GetAsync("/api/secret"), HttpStatusCode.Unauthorized);

        Assert.Contains("x-functions-key", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secret_WrongKey_Gives401()
    {
        var response = await Host.Client.GetAsync("/api/secret?code=wrong-key-wrong-key");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Secret_KeyInHeaderOrQuery_Allowed()
    {
        var header = await Host.SendAsync(HttpMethod.Get, "/api/secret");
        var query = await Host.Client.GetAsync($"/api/secret?code={FunctionsTestHost.AdminKey}");

        Assert.Equal("hello host", await header.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
    }

    [Fact]
    public async Task AdminOnly_HostKey_Allowed()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await Host.Client.GetAsync("/api/admin-only")).StatusCode);
        Assert.Equal("admin", await (await Host.SendAsync(HttpMethod.Get, "/api/admin-only")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Me_UserLevelWithoutSecurityHandler_Gives401SayingSo()
    {
        var problem = await ProblemAsync(await Host.Client.GetAsync("/api/me"), HttpStatusCode.Unauthorized);

        Assert.Contains("requires a signed-in user", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}

public sealed class RoutePrefixTests
{
    [Fact]
    public async Task HttpFunction_CustomRoutePrefix_ServedUnderIt()
    {
        await using var host = await FunctionsTestHost.StartAsync(
            [typeof(Sample.HttpSamples)],
            """{ "version": "2.0", "extensions": { "http": { "routePrefix": "v1" }, "durableTask": { "hubName": "test", "shutdownGracePeriod": "00:00:01" } } }""");

        var prefixed = await host.Client.GetAsync("/v1/greet/Ada");
        var old = await host.Client.GetAsync("/api/greet/Ada");

        Assert.Equal("Hello, Ada.", await prefixed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, old.StatusCode);
    }

    [Fact]
    public async Task HttpFunction_EmptyRoutePrefix_ServedAtTheRoot()
    {
        await using var host = await FunctionsTestHost.StartAsync(
            [typeof(Sample.HttpSamples)],
            """{ "version": "2.0", "extensions": { "http": { "routePrefix": "" }, "durableTask": { "hubName": "test", "shutdownGracePeriod": "00:00:01" } } }""");

        var response = await host.Client.GetAsync("/greet/Ada");

        Assert.Equal("Hello, Ada.", await response.Content.ReadAsStringAsync());
    }
}
