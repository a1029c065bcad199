using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Users;

namespace Connect.Shared.Tests.Content;

public sealed class ContentRepositoryTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Content_is_created_listed_by_owner_and_name_and_paged(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var users = new UserRepository(test.Database);
        var kim = (await users.AddAsync("kim", UserRole.Publisher)).User!;
        var al = (await users.AddAsync("al", UserRole.Publisher)).User!;
        var contents = new ContentRepository(test.Database);

        var first = await contents.CreateAsync(kim.Id, "first-app", "First");
        await contents.CreateAsync(kim.Id, "second-app", null);
        await contents.CreateAsync(al.Id, "first-app", null);

        Assert.Null(first.Error);
        Assert.Equal(("first-app", "First", "kim"), (first.Content!.Name, first.Content.Title, first.Content.OwnerUsername));
        Assert.True(Guid.TryParse(first.Content.Guid, out _));
        Assert.Equal(first.Content, await contents.GetAsync(first.Content.Guid));
        var (kims, kimTotal) = await contents.ListAsync(kim.Id, null, 0, 100);
        Assert.Equal(["first-app", "second-app"], kims.Select(c => c.Name));
        Assert.Equal(2, kimTotal);
        var (named, _) = await contents.ListAsync(null, "first-app", 0, 100);
        Assert.Equal(["kim", "al"], named.Select(c => c.OwnerUsername));
        var (page, total) = await contents.ListAsync(null, null, 1, 1);
        Assert.Equal(("second-app", 3L), (Assert.Single(page).Name, total));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Duplicate_and_invalid_names_are_refused(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var kim = (await new UserRepository(test.Database).AddAsync("kim", UserRole.Publisher)).User!;
        var contents = new ContentRepository(test.Database);
        await contents.CreateAsync(kim.Id, "app", null);

        Assert.Contains("already have content named 'app'", (await contents.CreateAsync(kim.Id, "app", null)).Error);
        Assert.Contains("not a valid content name", (await contents.CreateAsync(kim.Id, "a b", null)).Error);
        Assert.Contains("not a valid content name", (await contents.CreateAsync(kim.Id, "x", null)).Error);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Bundles_are_stored_activated_and_deleted_with_their_content(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var kim = (await new UserRepository(test.Database).AddAsync("kim", UserRole.Publisher)).User!;
        var contents = new ContentRepository(test.Database);
        var bundles = new BundleRepository(test.Database);
        var content = (await contents.CreateAsync(kim.Id, "report", null)).Content!;

        var bundle = await bundles.AddAsync(content.Id, "apps/1/staging", 1234, AppModes.RmdStatic, "report.Rmd", ["knitr", "rmarkdown"]);
        await bundles.SetPathAsync(bundle.Id, "apps/1/7");
        await contents.ActivateBundleAsync(content.Id, bundle, "output/1/7-x");

        var stored = await bundles.GetAsync(bundle.Id);
        Assert.Equal(("apps/1/7", 1234L, "report.Rmd"), (stored!.Path, stored.Size, stored.PrimaryFile));
        Assert.Equal(["knitr", "rmarkdown"], stored.Packages);
        var active = await contents.GetAsync(content.Id);
        Assert.Equal((bundle.Id, AppModes.RmdStatic, "output/1/7-x"), (active!.ActiveBundleId, active.AppMode, active.OutputPath));

        Assert.True(await contents.DeleteAsync(content.Id));
        Assert.Null(await bundles.GetAsync(bundle.Id));
    }
}
