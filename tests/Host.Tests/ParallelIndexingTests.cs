using System.Reflection;
using System.Reflection.Emit;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Serverless.Functions;
using Serverless.Functions.Indexing;

namespace Serverless.Host.Tests;

/// <summary>
/// Several hosts index the same methods at once (test fixtures starting in parallel). The runtime caches a method's
/// parameters lazily, so two threads asking for them the first time may get different <see cref="ParameterInfo"/>
/// objects: the indexer must not compare them by reference.
/// </summary>
public sealed class ParallelIndexingTests
{
    private const int Rounds = 40;
    private const int Threads = 8;

    [Fact]
    public void Index_SameFreshTypesOnManyThreads_EveryIndexFindsTheHttpTrigger()
    {
        for (var round = 0; round < Rounds; round++)
        {
            // Fresh types each round: their parameter caches are cold, which is when the race shows.
            var types = EmitHttpFunctions(round, count: 4);
            using var start = new Barrier(Threads);
            var results = new (int Functions, string Errors)[Threads];
            Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, i =>
            {
                var indexer = new FunctionIndexer(new ConfigurationBuilder().Build(), "api", "test");
                start.SignalAndWait();
                var catalog = indexer.Index(types);
                results[i] = (catalog.Functions.Count, string.Join("; ", indexer.Errors.Select(e => e.Reason)));
            });

            Assert.All(results, r => Assert.Equal((types.Length, string.Empty), r));
        }
    }

    /// <summary>Emits public classes, each with <c>public static string Run([HttpTrigger("get")] HttpRequest req, CancellationToken ct)</c>.</summary>
    private static Type[] EmitHttpFunctions(int round, int count)
    {
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName($"ParallelIndexing{round}"), AssemblyBuilderAccess.RunAndCollect);
        var module = assembly.DefineDynamicModule("m");
        var function = typeof(FunctionAttribute).GetConstructor([typeof(string)])!;
        var trigger = typeof(HttpTriggerAttribute).GetConstructor([typeof(AuthorizationLevel), typeof(string[])])!;
        var types = new Type[count];
        for (var i = 0; i < count; i++)
        {
            var type = module.DefineType($"Fresh{round}.Functions{i}", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class);
            var method = type.DefineMethod("Run", MethodAttributes.Public | MethodAttributes.Static, typeof(string), [typeof(HttpRequest), typeof(CancellationToken)]);
            method.SetCustomAttribute(new CustomAttributeBuilder(function, [$"Fresh{round}_{i}"]));
            var req = method.DefineParameter(1, ParameterAttributes.None, "req");
            req.SetCustomAttribute(new CustomAttributeBuilder(trigger, [AuthorizationLevel.Anonymous, new[] { "get" }], [typeof(HttpTriggerAttribute).GetProperty(nameof(HttpTriggerAttribute.Route))!], [$"fresh{round}/{i}"]));
            method.DefineParameter(2, ParameterAttributes.None, "ct");
            var il = method.GetILGenerator();
            il.Emit(OpCodes.Ldstr, "ok");
            il.Emit(OpCodes.Ret);
            types[i] = type.CreateType();
        }

        return types;
    }
}
