//! Signing in: user name, password, and the authenticator code when the
//! account has a second factor.

#[cfg(feature = "hydrate")]
use crate::session;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let (username, password, code) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let need_code = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move || {
        let next = query.read_untracked().get("next");
        #[cfg(feature = "hydrate")]
        {
            busy.set(true);
            let body = serde_json::json!({
                "username": username.get_untracked(),
                "password": password.get_untracked(),
                "code": need_code.get_untracked().then(|| code.get_untracked()),
            });
            leptos::task::spawn_local(async move {
                let r = gloo_net::http::Request::post("/api/session").header("x-vigil-csrf", "1").json(&body);
                let result = match r {
                    Ok(req) => req.send().await.map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                busy.set(false);
                match result {
                    Ok(resp) if resp.ok() => {
                        let v: serde_json::Value = resp.json().await.unwrap_or_default();
                        // Whatever an earlier account left on this tablet goes.
                        crate::offline::forget().await;
                        if v["totp_setup_required"] == true {
                            session::go("/account");
                        } else {
                            session::go(&session::after_sign_in(next.as_deref(), v["role"].as_str().unwrap_or("")));
                        }
                    }
                    Ok(resp) => {
                        let status = resp.status();
                        let text = resp.text().await.unwrap_or_default();
                        if status == 401 && text.contains("code_required") {
                            need_code.set(true);
                        }
                        error.set(Some(session::error_text(status, &text)));
                    }
                    Err(e) => error.set(Some(format!("The server cannot be reached: {e}"))),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = next;
    };
    view! {
        <section class="signin" data-testid="signin">
            <h1>"Vigil"</h1>
            <form on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <label>"User name"
                    <input data-testid="signin-username" autocomplete="username" required=true
                        prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev))/>
                </label>
                <label>"Password"
                    <input data-testid="signin-password" type="password" autocomplete="current-password" required=true
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                </label>
                <Show when=move || need_code.get()>
                    <label>"Code from your authenticator app"
                        <input data-testid="signin-code" inputmode="numeric" autocomplete="one-time-code"
                            prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev))/>
                    </label>
                </Show>
                <button data-testid="signin-submit" type="submit" disabled=move || busy.get()>"Sign in"</button>
                <p class="notice" role="alert" data-testid="signin-error">{move || error.get().unwrap_or_default()}</p>
            </form>
        </section>
    }
}
