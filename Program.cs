using Serverless.Functions.Hosting;

// The Company Hub: the functions host runs the app's HTTP functions, orchestrations, activities and entities from
// functions/, orchestrations/, activities/ and entities/. `dotnet run` listens on http://127.0.0.1:18789 and keeps its
// state under ./.data/ (README, "Running the hub"). The host refuses to start, naming the function and the reason,
// when a function is invalid.
return await FunctionsHost.RunAsync(args, typeof(Program).Assembly);

/// <summary>The app's entry point; public so that tests can host the app.</summary>
public partial class Program;
