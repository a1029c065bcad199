using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Usage;
using Connect.Shared.Users;

namespace Connect.Shared.Tests.Usage;

public sealed class UsageRepositoryTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Visits_and_sessions_are_listed_by_item_time_and_cursor_and_go_with_their_item(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var kim = (await new UserRepository(test.Database).AddAsync("kim", UserRole.Viewer)).User!;
        var owner = (await new UserRepository(test.Database).AddAsync("olga", UserRole.Publisher)).User!;
        var contents = new ContentRepository(test.Database);
        var report = (await contents.CreateAsync(owner.Id, "report", null)).Content!;
        var app = (await contents.CreateAsync(owner.Id, "app", null)).Content!;
        var usage = new UsageRepository(test.Database);
        var noon = new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

        await usage.AddAsync(
            [
                new ContentVisit(report.Id, null, 1, "/", noon),
                new ContentVisit(report.Id, kim.Id, 1, "/index.html", noon.AddHours(1)),
                new ContentVisit(app.Id, kim.Id, 2, "/", noon.AddHours(2)),
                new ContentVisit(999_999, kim.Id, 2, "/", noon), // its item is gone: dropped, not an error
            ],
            [new ShinySession(app.Id, kim.Id, noon, noon.AddMinutes(5))]);

        var all = await usage.VisitsAsync(new UsageFilter(null, null, null, 0, 10));
        Assert.Equal(3, all.Count);
        var ofReport = await usage.VisitsAsync(new UsageFilter(report.Guid, null, null, 0, 10));
        Assert.Equal(["/", "/index.html"], ofReport.Select(v => v.Path));
        Assert.Null(ofReport[0].UserGuid);
        Assert.Equal(kim.Guid, ofReport[1].UserGuid);
        Assert.Equal(["/index.html"], (await usage.VisitsAsync(new UsageFilter(report.Guid, noon.AddMinutes(30), noon.AddHours(2), 0, 10))).Select(v => v.Path));
        Assert.Equal([all[1].Cursor], (await usage.VisitsAsync(new UsageFilter(null, null, null, long.Parse(all[0].Cursor), 1))).Select(v => v.Cursor));
        var session = Assert.Single(await usage.ShinySessionsAsync(new UsageFilter(app.Guid, null, null, 0, 10)));
        Assert.Equal((noon, noon.AddMinutes(5), kim.Guid), (session.Started, session.Ended, session.UserGuid));

        // Per day, newest first: the report's two views fell on one day; the app had a view and a session.
        var days = await usage.DailyAsync(report.Id, noon.AddDays(-1));
        Assert.Equal([new UsageDay(new DateOnly(2026, 12, 6), 2, 0)], days);
        Assert.Equal([new UsageDay(new DateOnly(2026, 12, 6), 1, 1)], await usage.DailyAsync(app.Id, noon.AddDays(-1)));
        Assert.Empty(await usage.DailyAsync(report.Id, noon.AddDays(1)));

        // Three views of one page in one second are one row, listed as three visits, paged inside the row too.
        await usage.AddAsync([new ContentVisit(report.Id, kim.Id, 1, "/", noon.AddHours(3), Hits: 3)], []);
        var burst = await usage.VisitsAsync(new UsageFilter(report.Guid, noon.AddHours(3), null, 0, 2));
        Assert.Equal(2, burst.Count);
        Assert.EndsWith(".2", burst[1].Cursor);
        var row = long.Parse(burst[1].Cursor.Split('.')[0]);
        var rest = await usage.VisitsAsync(new UsageFilter(report.Guid, noon.AddHours(3), null, row, 2, AfterHits: 2));
        Assert.Equal([row.ToString()], rest.Select(v => v.Cursor));
        Assert.Equal(3 + 2, (await usage.DailyAsync(report.Id, noon.AddDays(-1)))[0].Views);

        await contents.DeleteAsync(app.Id);
        Assert.Equal(2 + 3, (await usage.VisitsAsync(new UsageFilter(null, null, null, 0, 10))).Count);
        Assert.Empty(await usage.ShinySessionsAsync(new UsageFilter(null, null, null, 0, 10)));
    }
}
