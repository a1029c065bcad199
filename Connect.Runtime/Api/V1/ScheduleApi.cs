using System.Security.Claims;
using Connect.Runtime.Authentication;
using Connect.Runtime.Publishing;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Scheduling;
using Connect.Shared.Access;
using Connect.Runtime.Scheduling;
using Connect.Runtime.Api.Json;

namespace Connect.Runtime.Api.V1;

internal sealed record CreateScheduleRequest(string? Interval, string? Cron, string? TimeZone, DateTimeOffset? Start);

/// <summary>Schedules of an R Markdown document (v1 API); their runs are jobs (<see cref="JobsApi"/>).</summary>
internal static class ScheduleApi
{
    public static void MapScheduleApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/__api__/v1/content/{guid}").RequireAuthorization();

        v1.MapGet("/schedules", async (RoutedContent routed, ScheduleRepository schedules, CancellationToken ct) =>
        {
            var content = routed.Item;
            return Results.Json((await schedules.ListAsync(content.Id, ct)).Select(ToJson));
        }).RequireContent(ContentRight.Change);

        v1.MapPost("/schedules", async (RoutedContent routed, CreateScheduleRequest? body, ScheduleBook book, CancellationToken ct) =>
            await book.CreateAsync(routed.Item, body?.Interval, body?.Cron, body?.TimeZone, body?.Start, ct) switch
            {
                { Schedule: { } made } => Results.Json(ToJson(made), statusCode: StatusCodes.Status201Created),
                { Unsupported: true, Problem: var problem } => ApiErrors.BadRequest(problem!, ApiErrorCode.UnsupportedAction),
                { Problem: var problem } => ApiErrors.BadRequest(problem!),
            }).RequireContent(ContentRight.Change);

        v1.MapDelete("/schedules/{id:long}", async (RoutedContent routed, long id, ScheduleRepository schedules, CancellationToken ct) =>
        {
            var content = routed.Item;
            return (await schedules.DeleteAsync(content.Id, id, ct)
                ? Results.NoContent()
                : ApiErrors.NotFound($"schedule {id} does not exist for this content"));
        }).RequireContent(ContentRight.Change);
    }

    private static object ToJson(Schedule s) => new
    {
        id = s.Id,
        expression = s.Expression,
        time_zone = s.TimeZone,
        enabled = s.Enabled,
        next_run_time = s.NextRunAt,
        created_time = s.CreatedAt,
    };
}
