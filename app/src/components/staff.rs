//! What every staff page has around it: who is signed in (and signing out),
//! the link to the server, the shift and sound, the ward's alarm list. The
//! live link starts here, so it runs only on staff pages.

use crate::components::{alarms, connection};
use crate::context::use_live;
use leptos::prelude::*;

#[component]
pub fn StaffChrome(children: Children) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    let ctx = use_live();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        crate::live::start(ctx);
        if ctx.me.get_untracked().is_none() {
            leptos::task::spawn_local(async move {
                let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
                match crate::session::fetch_me().await {
                    Ok(Some(me)) => {
                        // Remembered (without the anti-forgery token) for a
                        // reload while the server is unreachable.
                        let kept = crate::session::Me { csrf: String::new(), ..me.clone() };
                        if let (Some(s), Ok(json)) = (&storage, serde_json::to_string(&kept)) {
                            let _ = s.set_item("vigil.me", &json);
                        }
                        ctx.me.set(Some(me));
                    }
                    // Signed out (or the session ended): the server's sign-in page.
                    Ok(None) => {
                        crate::offline::forget().await;
                        crate::session::go("/signin");
                    }
                    // Unreachable: the ward from this tablet's store still
                    // shows, under the account last signed in here.
                    Err(_) => {
                        let kept = storage.and_then(|s| s.get_item("vigil.me").ok().flatten());
                        ctx.me.set(kept.and_then(|j| serde_json::from_str(&j).ok()));
                    }
                }
            });
        }
    });
    // One screen, never scrolled past its chrome: the link, sound and
    // account on one line, the alarm bar under it (at most two rows, the
    // rest on demand, over the tiles), and the page filling what is left.
    view! {
        <div class="station">
            <div class="chrome">
                <connection::ConnectionBanner/>
                <alarms::ShiftBar/>
                <UserBar/>
            </div>
            <alarms::AlarmList/>
            <main class="station-main">{children()}</main>
        </div>
    }
}

#[component]
fn UserBar() -> impl IntoView {
    let ctx = use_live();
    let sign_out = move |everywhere: bool| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let csrf = ctx.me.get_untracked().map(|m| m.csrf).unwrap_or_default();
            let url = if everywhere { "/api/sessions" } else { "/api/session" };
            let _ = crate::session::send_json("DELETE", url, &serde_json::json!({}), &csrf).await;
            crate::actions::end_shift(ctx);
            crate::offline::forget().await;
            crate::session::go("/signin");
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = everywhere;
    };
    view! {
        <nav class="user-bar" data-testid="user-bar">
            {move || ctx.me.get().map(|me| {
                let admin = me.is_admin();
                view! {
                    <a href="/account" rel="external noopener" target="_blank" data-testid="signed-in-as">{format!("{} ({}, {})", me.display_name, me.username, me.role)}</a>
                    {admin.then(|| view! { <a href="/admin" rel="external noopener" target="_blank" data-testid="admin-link">"Administration"</a> })}
                }
            })}
            <button class="link" data-testid="sign-out" on:click=move |_| sign_out(false)>"Sign out"</button>
            <button class="link" data-testid="sign-out-everywhere" on:click=move |_| sign_out(true)>"Sign out everywhere"</button>
        </nav>
    }
}
