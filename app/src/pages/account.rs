//! One's own account: the password, and (staff) the second factor. A
//! ward that requires a second factor sends staff here until they have one.

use crate::session::Me;
use leptos::prelude::*;

/// The second-factor secret being set up, and its `otpauth://` URI.
type Pending = RwSignal<Option<(String, String)>>;

#[component]
pub fn AccountPage() -> impl IntoView {
    let me = RwSignal::new(None::<Me>);
    let notice = RwSignal::new(String::new());
    let (current, new, again) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let (totp_password, code) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let secret: Pending = RwSignal::new(None);
    let refresh = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        refresh.track();
        leptos::task::spawn_local(async move {
            match crate::session::fetch_me().await {
                Ok(Some(m)) => me.set(Some(m)),
                Ok(None) => crate::session::go("/signin"),
                Err(e) => notice.set(e),
            }
        });
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = refresh;
    let send = move |url: &'static str, body: serde_json::Value, then: fn(serde_json::Value, Pending)| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let csrf = me.get_untracked().map(|m| m.csrf).unwrap_or_default();
            match crate::session::send_json("POST", url, &body, &csrf).await {
                Ok((_, v)) => {
                    notice.set(String::new());
                    then(v, secret);
                    refresh.update(|n| *n += 1);
                }
                Err(e) => notice.set(e),
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (url, body, then);
    };
    let change_password = move || {
        if new.get_untracked() != again.get_untracked() {
            notice.set("The two new passwords differ.".into());
            return;
        }
        send(
            "/api/me/password",
            serde_json::json!({ "current": current.get_untracked(), "new": new.get_untracked() }),
            |_, _| {
                // Every session of the account ended, this one too.
                #[cfg(feature = "hydrate")]
                crate::session::go("/signin");
            },
        );
    };
    let field = |label: &'static str, id: &'static str, sig: RwSignal<String>, kind: &'static str| {
        view! {
            <label>{label}
                <input data-testid=id type=kind prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/>
            </label>
        }
    };
    view! {
        <section class="signin" data-testid="account">
            <p><a href="/" rel="external">"← Back"</a></p>
            <h1>{move || me.get().map(|m| format!("{} ({})", m.display_name, m.username)).unwrap_or_default()}</h1>
            <p class="notice" role="alert" data-testid="account-notice">{move || notice.get()}</p>
            <h2>"Password"</h2>
            <form on:submit=move |ev| { ev.prevent_default(); change_password(); }>
                {field("Current password", "password-current", current, "password")}
                {field("New password (at least 12 characters)", "password-new", new, "password")}
                {field("New password again", "password-again", again, "password")}
                <button data-testid="password-change" type="submit">"Change password"</button>
            </form>
            <Show when=move || me.get().is_some_and(|m| m.role != "caregiver")>
                <h2>"Second factor"</h2>
                {move || if me.get().is_some_and(|m| m.totp) {
                    view! { <p data-testid="totp-on">"On: signing in asks for the code from your authenticator app."</p> }.into_any()
                } else {
                    view! {
                        <p>"Off. Set it up with an authenticator app (any that takes a TOTP secret)."</p>
                        <form on:submit=move |ev| {
                            ev.prevent_default();
                            send("/api/me/totp", serde_json::json!({ "password": totp_password.get_untracked() }), |v, secret| {
                                secret.set(Some((v["secret"].as_str().unwrap_or_default().into(), v["uri"].as_str().unwrap_or_default().into())));
                            });
                        }>
                            {field("Your password", "totp-password", totp_password, "password")}
                            <button data-testid="totp-begin" type="submit">"Set up"</button>
                        </form>
                        <Show when=move || secret.get().is_some()>
                            <p>"Enter this secret in the app (or open the link on the device that has it):"</p>
                            <p><code data-testid="totp-secret">{move || secret.get().map(|s| s.0).unwrap_or_default()}</code></p>
                            <p><a data-testid="totp-uri" href=move || secret.get().map(|s| s.1).unwrap_or_default()>"otpauth link"</a></p>
                            <form on:submit=move |ev| {
                                ev.prevent_default();
                                send("/api/me/totp/confirm", serde_json::json!({ "code": code.get_untracked() }), |_, secret| secret.set(None));
                            }>
                                {field("The code it shows now", "totp-code", code, "text")}
                                <button data-testid="totp-confirm" type="submit">"Turn on"</button>
                            </form>
                        </Show>
                    }.into_any()
                }}
            </Show>
        </section>
    }
}
