namespace Serverless.Functions;

/// <summary>
/// Binds a function to HTTP requests. Put it on a <see cref="Microsoft.AspNetCore.Http.HttpRequest"/> parameter.
/// The endpoint is <c>/{routePrefix}/{Route}</c>, where the route prefix comes from host.json
/// (<c>extensions.http.routePrefix</c>, default <c>api</c>) and the route defaults to the function name.
/// Other parameters bind by kind: <c>HttpContext</c>, <c>ClaimsPrincipal</c>, <see cref="FunctionContext"/>,
/// <c>CancellationToken</c>, <c>ILogger</c>, <c>[DurableClient] DurableTaskClient</c>; a simple-typed parameter named like
/// a route value takes it, any other simple-typed parameter a query value, and one parameter of a complex type (or with
/// ASP.NET Core's <c>[FromBody]</c>) the JSON body. A value that does not bind gives 400 problem+json naming the field.
/// The function may return <c>IResult</c>, <c>IActionResult</c>, a string (text/plain), any other value (JSON) or nothing (204).
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class HttpTriggerAttribute : Attribute
{
    /// <summary>Initializes a new instance of the <see cref="HttpTriggerAttribute"/> class with <see cref="AuthorizationLevel.Function"/>.</summary>
    /// <param name="methods">The HTTP methods accepted; none means every method.</param>
    public HttpTriggerAttribute(params string[] methods)
        : this(AuthorizationLevel.Function, methods)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="HttpTriggerAttribute"/> class.</summary>
    /// <param name="authLevel">Who may call the function.</param>
    /// <param name="methods">The HTTP methods accepted; none means every method.</param>
    public HttpTriggerAttribute(AuthorizationLevel authLevel, params string[] methods)
    {
        AuthLevel = authLevel;
        Methods = methods ?? [];
    }

    /// <summary>Gets who may call the function.</summary>
    public AuthorizationLevel AuthLevel { get; }

    /// <summary>Gets the accepted HTTP methods; empty means every method.</summary>
    public string[] Methods { get; }

    /// <summary>Gets or sets the route template (ASP.NET Core syntax, e.g. <c>orders/{id:int}</c>). Default is the function name.</summary>
    public string? Route { get; set; }
}
