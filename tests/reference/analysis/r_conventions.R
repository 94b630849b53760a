# Reference values for two conventions of analysis.stats that must agree with R exactly
# (issue 18): the Hodges-Lehmann interval that inverts the Mann-Whitney / Wilcoxon test
# WITHOUT continuity correction (the test whose P the report prints), and the mixed-model
# covariance sigma^2 (X'V^-1 X)^-1 of nlme::lme.
#
# Run from this directory:   Rscript r_conventions.R > r_conventions.out
# Reads the committed data_two_sample.csv, data_paired.csv and data_vas_long.csv (written
# by make_reference.R), writes data_hl_ties.csv and data_mixed_unbalanced.csv (fixed seeds)
# and r_conventions_values.csv: case, quantity, value, r_call, r_version.

suppressPackageStartupMessages(library(nlme))
RV <- R.version.string
TOL <- 1e-12  # uniroot tol.root: R's asymptotic interval is a root of a step function
out <- list()
add <- function(case, quantity, value, call) {
  out[[length(out) + 1]] <<- data.frame(case = case, quantity = quantity,
    value = sprintf("%.15g", as.numeric(value)), r_call = call, r_version = RV)
}

# ---------------------------------------------------------------- Hodges-Lehmann, two samples
two <- read.csv("data_two_sample.csv")
samples <- lapply(split(two, factor(two$case, levels = unique(two$case))),
  function(g) list(g$value[g$arm == "a"], g$value[g$arm == "b"]))
set.seed(20261204)
ties <- list(  # VAS-like tied data, including one where the corrected and uncorrected tests part
  ties_vas_close = list(round(runif(38, 2, 8)) , round(runif(39, 2.6, 8.6))),
  ties_coarse    = list(sample(0:4, 25, TRUE), sample(1:5, 22, TRUE)),
  ties_tenths    = list(round(rnorm(45, 5.2, 1.3), 1), round(rnorm(41, 5.8, 1.4), 1))
)
write.csv(do.call(rbind, lapply(names(ties), function(k) rbind(
  data.frame(case = k, arm = "a", value = sprintf("%.15g", ties[[k]][[1]])),
  data.frame(case = k, arm = "b", value = sprintf("%.15g", ties[[k]][[2]]))))),
  "data_hl_ties.csv", row.names = FALSE)
samples <- c(samples, ties)
for (k in names(samples)) {
  x <- samples[[k]][[1]]; y <- samples[[k]][[2]]
  cl <- sprintf("wilcox.test(a, b, exact = FALSE, correct = FALSE, conf.int = TRUE, tol.root = %g)", TOL)
  w <- suppressWarnings(wilcox.test(x, y, exact = FALSE, correct = FALSE, conf.int = TRUE, tol.root = TOL))
  add(k, "asym_p", w$p.value, paste0(cl, "$p.value"))
  add(k, "asym_estimate", w$estimate, paste0(cl, "$estimate"))
  add(k, "asym_ci_low", w$conf.int[1], paste0(cl, "$conf.int[1]"))
  add(k, "asym_ci_high", w$conf.int[2], paste0(cl, "$conf.int[2]"))
  if (length(unique(c(x, y))) == length(c(x, y)) && length(x) < 50 && length(y) < 50) {
    cl <- sprintf("wilcox.test(a, b, exact = TRUE, correct = FALSE, conf.int = TRUE, tol.root = %g)", TOL)
    w <- wilcox.test(x, y, exact = TRUE, correct = FALSE, conf.int = TRUE, tol.root = TOL)
    add(k, "exact_p", w$p.value, paste0(cl, "$p.value"))
    add(k, "exact_estimate", w$estimate, paste0(cl, "$estimate"))
    add(k, "exact_ci_low", w$conf.int[1], paste0(cl, "$conf.int[1]"))
    add(k, "exact_ci_high", w$conf.int[2], paste0(cl, "$conf.int[2]"))
  }
}

# ---------------------------------------------------------------- Hodges-Lehmann, paired
pr <- read.csv("data_paired.csv")
for (k in unique(pr$case)) {
  g <- pr[pr$case == k, ]; bef <- g$before; aft <- g$after; d <- aft - bef
  cl <- sprintf("wilcox.test(after, before, paired = TRUE, exact = FALSE, correct = FALSE, conf.int = TRUE, tol.root = %g)", TOL)
  w <- suppressWarnings(wilcox.test(aft, bef, paired = TRUE, exact = FALSE, correct = FALSE,
    conf.int = TRUE, tol.root = TOL))
  add(k, "asym_p", w$p.value, paste0(cl, "$p.value"))
  add(k, "asym_estimate", w$estimate, paste0(cl, "$estimate"))
  add(k, "asym_ci_low", w$conf.int[1], paste0(cl, "$conf.int[1]"))
  add(k, "asym_ci_high", w$conf.int[2], paste0(cl, "$conf.int[2]"))
  if (length(unique(abs(d))) == length(d) && all(d != 0) && length(d) < 50) {
    cl <- sprintf("wilcox.test(after, before, paired = TRUE, exact = TRUE, conf.int = TRUE, tol.root = %g)", TOL)
    w <- wilcox.test(aft, bef, paired = TRUE, exact = TRUE, conf.int = TRUE, tol.root = TOL)
    add(k, "exact_p", w$p.value, paste0(cl, "$p.value"))
    add(k, "exact_estimate", w$estimate, paste0(cl, "$estimate"))
    add(k, "exact_ci_low", w$conf.int[1], paste0(cl, "$conf.int[1]"))
    add(k, "exact_ci_high", w$conf.int[2], paste0(cl, "$conf.int[2]"))
  }
}

# ---------------------------------------------------------------- mixed model (nlme::lme)
set.seed(20261205)  # unbalanced, a small subject variance, three visits
n <- 150; visits <- c("a_base", "b_mid", "c_end")
arm <- rep(c("P", "S"), length.out = n); ri <- rnorm(n, 0, 0.35)
unb <- expand.grid(v = 1:3, i = 1:n)
unb$participant_id <- sprintf("u%03d", unb$i); unb$arm <- arm[unb$i]; unb$visit <- visits[unb$v]
unb$value <- round(10 + c(0, -1, -2)[unb$v] - 0.7 * (unb$arm == "S") * (unb$v > 1) + ri[unb$i] +
  rnorm(nrow(unb), 0, 1.5), 2)
unb$value[sample(which(unb$v > 1), 70)] <- NA
unb <- unb[, c("participant_id", "arm", "visit", "value")]
write.csv(unb, "data_mixed_unbalanced.csv", row.names = FALSE, na = "")
mixed <- list(vas_long = read.csv("data_vas_long.csv"), unbalanced = unb)
for (k in names(mixed)) {
  d <- mixed[[k]]
  fit <- lme(value ~ arm * visit, random = ~ 1 | participant_id, data = d, method = "REML",
    na.action = na.omit, control = lmeControl(opt = "optim", msTol = 1e-14, tolerance = 1e-12,
      optimMethod = "BFGS", msMaxIter = 500, returnObject = TRUE))
  cl <- "nlme::lme(value ~ arm * visit, random = ~1 | participant_id, method = 'REML', tight lmeControl)"
  fe <- fixef(fit); V <- vcov(fit); se <- sqrt(diag(V))
  for (nm in names(fe)) {
    add(k, paste0("coef:", nm), fe[[nm]], paste0(cl, " fixef"))
    add(k, paste0("se:", nm), se[[nm]], paste0(cl, " sqrt(diag(vcov))"))
  }
  vc <- as.numeric(VarCorr(fit)[, "Variance"])
  add(k, "var_subject", vc[1], paste0("VarCorr(", cl, ")"))
  add(k, "var_residual", vc[2], paste0("VarCorr(", cl, ")"))
  add(k, "loglik_reml", logLik(fit), paste0("logLik(", cl, ")"))
  inter <- grep(":", names(fe))
  chi2 <- as.numeric(t(fe[inter]) %*% solve(V[inter, inter], fe[inter]))
  add(k, "interaction_chi2", chi2, "t(b) solve(vcov[int, int]) b over the arm:visit terms")
  a <- anova(fit, Terms = "arm:visit")
  add(k, "interaction_F", a[["F-value"]], "anova(fit, Terms = 'arm:visit')$`F-value` (= chi2 / df)")
  add(k, "interaction_df", a[["numDF"]], "anova(fit, Terms = 'arm:visit')$numDF")
  add(k, "n_obs", nobs(fit), "nobs(fit)")
}

res <- do.call(rbind, out)
writeLines(paste("# generated by r_conventions.R with", RV, "and nlme", packageVersion("nlme"),
  "on", format(Sys.Date())), "r_conventions_values.csv")
suppressWarnings(write.table(res, "r_conventions_values.csv", sep = ",", row.names = FALSE,
  append = TRUE, qmethod = "double"))
print(res[, c("case", "quantity", "value")], row.names = FALSE)
cat("wrote", nrow(res), "values\n")
