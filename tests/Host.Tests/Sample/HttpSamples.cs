using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Serverless.Functions;

namespace Serverless.Host.Tests.Sample;

/// <summary>HTTP functions that exercise binding: an instance class with constructor injection.</summary>
public sealed class HttpSamples(Greeter greeter)
{
    [Function(nameof(Greet))]
    public string Greet([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "greet/{name}")] HttpRequest req, string name) =>
        greeter.Greet(name);

    [Function(nameof(GetOrder))]
    public IActionResult GetOrder([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "orders/{id:int}")] HttpRequest req, int id, bool? verbose, int page = 1) =>
        new OkObjectResult(new { id, verbose = verbose ?? false, page });

    [Function(nameof(GetItem))]
    public static IResult GetItem([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "items/{id}")] HttpRequest req, Guid id) =>
        TypedResults.Ok(new { id });

    [Function(nameof(Search))]
    public static object Search([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "search")] HttpRequest req, string q, Color color = Color.Red) =>
        new { q, color = color.ToString() };

    [Function(nameof(CreateUser))]
    public static IResult CreateUser([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "users")] HttpRequest req, NewUser user) =>
        TypedResults.Created($"/api/users/{user.Email}", user);

    [Function(nameof(Note))]
    public static string Note([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "notes")] HttpRequest req, [FromBody] NoteInput? note) =>
        note is null ? "no note" : $"note: {note.Text}";

    [Function(nameof(Nothing))]
    public static Task Nothing([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "nothing")] HttpRequest req) => Task.CompletedTask;

    [Function(nameof(Boom))]
    public static string Boom([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "boom")] HttpRequest req) =>
        throw new InvalidOperationException("secret detail");

    [Function(nameof(Secret))]
    public static string Secret([HttpTrigger(AuthorizationLevel.Function, "get", Route = "secret")] HttpRequest req, ClaimsPrincipal user) =>
        $"hello {user.Identity?.Name}";

    [Function(nameof(AdminOnly))]
    public static string AdminOnly([HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin-only")] HttpRequest req) => "admin";

    [Function(nameof(Me))]
    public static string Me([HttpTrigger(AuthorizationLevel.User, "get", Route = "me")] HttpRequest req, ClaimsPrincipal user) => $"user {user.Identity?.Name}";

    [Function(nameof(Any))]
    public static string Any([HttpTrigger(AuthorizationLevel.Anonymous)] HttpRequest req) => req.Method;
}

public enum Color
{
    Red,
    Green,
}

public sealed class NewUser
{
    public required string Email { get; init; }

    [Range(18, 130)]
    public int Age { get; init; }

    [StringLength(20)]
    public string? Nickname { get; init; }

    public Address? Address { get; init; }
}

public sealed record Address(string Street, int Zip);

public sealed record NoteInput(string Text);
